"""Loading the configured cloud code onto a server's hook registry (called by app.build_core)."""

from __future__ import annotations

from chartkeep.cloud import files, functions, jobs, queries, triggers
from chartkeep.cloud.declare import Declarations
from chartkeep.cloud.load import CloudLoadError, load
from chartkeep.core.handles import Core


def install(core: Core, found: Declarations) -> None:
    """Register what the cloud code declared, after every built-in hook (``builtin=False``)."""
    timeout = core.settings.cloud_timeout or None
    clash = clashes(core, found)
    if clash:
        raise CloudLoadError(f"Cloud code {found.source}: function {clash} is one of Chartkeep's own")
    for name, spec in found.functions.items():
        core.hooks.define(name, functions.function_hook(spec, timeout), builtin=False)
    for trigger in found.triggers:
        kind = trigger.kind
        if kind == "before_find":
            core.hooks.add_query_hook(trigger.class_name, queries.before_find(trigger, timeout))
        elif kind == "after_find":
            core.hooks.add_result_hook(trigger.class_name, queries.after_find(trigger, timeout))
        elif kind == "before_login" or kind == "after_login" or kind == "after_logout":
            core.hooks.add_account_hook(kind, queries.account(trigger, timeout))
        elif kind == "before_connect":
            core.hooks.live_connect.append(queries.live(trigger, timeout))
        elif kind == "before_subscribe":
            core.hooks.live_subscribe.setdefault(trigger.class_name, []).append(queries.live(trigger, timeout))
        elif kind == "after_live_query_event":
            core.hooks.live_event.setdefault(trigger.class_name, []).append(queries.live_event(trigger, timeout))
        elif kind == "before_save_file" or kind == "after_save_file":
            core.hooks.add_file_hook(kind, files.file_hook(trigger, timeout))
        else:
            core.hooks.add(kind, trigger.class_name, triggers.MAKERS[kind](trigger, timeout), builtin=False)
    for name, fn in found.jobs.items():
        core.hooks.add_job(name, jobs.job_starter(name, fn))


def clashes(core: Core, found: Declarations) -> str | None:
    """A function the code declares that Chartkeep defines itself, if any."""
    own = set(core.hooks.functions) - core.hooks.user_functions
    return next((name for name in found.functions if name in own), None)


def load_configured(core: Core) -> Declarations | None:
    """The code the ``cloud`` setting names, loaded and registered; None when it names none."""
    source = core.settings.cloud
    if not source:
        return None
    found = load(source)
    install(core, found)
    return found
