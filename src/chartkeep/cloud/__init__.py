"""Cloud Code in Python: the clinic's own functions, triggers and jobs (docs/cloud-code.md).

A cloud file imports this module and declares what it adds::

    from chartkeep import cloud

    @cloud.define("hello", fields={"name": {"type": str, "required": True}})
    async def hello(req):
        return {"greeting": f"hello {req.params['name']}"}

and the server loads it at start-up (``chartkeep serve --cloud cloud/main.py``; setting ``cloud``,
env ``CHARTKEEP_CLOUD``). What it declares joins the hook registry (core/hooks.py) as user hooks:
after every built-in rule of the same kind, which it can neither skip nor undo.
"""

from chartkeep.cloud.declare import (
    Error,
    after_delete,
    after_find,
    after_live_query_event,
    after_login,
    after_logout,
    after_save,
    after_save_file,
    before_connect,
    before_delete,
    before_find,
    before_login,
    before_save,
    before_save_file,
    before_subscribe,
    define,
    job,
)

__all__ = ["Error", "after_delete", "after_find", "after_live_query_event", "after_login", "after_logout", "after_save", "after_save_file",
           "before_connect", "before_delete", "before_find", "before_login", "before_save", "before_save_file",
           "before_subscribe", "define", "job"]
