"""Notices between server processes: what one process changed that the others keep in memory.

Each process caches session tokens (``SessionCache``), users' roles (``RoleCache``) and the class
registry. When a change goes through one process, that process updates its own memory and tells
the others (the caches' and the registry's ``tell``, wired to the LiveQuery bus in
``chartkeep.live``); with Redis every other process applies the notice here as soon as it reads it:

| notice | sent when | applied as |
|---|---|---|
| ``["session", digest]`` | a logout, an expired session | that token is forgotten |
| ``["user", id]`` | the user is written, their sessions revoked (password change/reset, new login on an installation) | the user's tokens are forgotten |
| ``["sessions"]`` | a session deleted (``DELETE /sessions``, a master-key ``_Session`` write) | every token is forgotten |
| ``["roles", id…]`` / ``["roles"]`` | care-team membership, the ``role`` field, a break-the-glass grant / any ``_Role`` write | those users' roles (everyone's) are forgotten |
| ``["class", name, schema]`` | ``/schemas`` or a client creates, changes or drops a class | the class is replaced (``schema`` null: removed) |
| ``["config"]`` | Parse Config changes (``PUT /config``, any ``_GlobalConfig`` write) | the cached config is forgotten |

A forgotten entry is read again from the database on next use. When a process (re)subscribes to
Redis after losing it, notices sent meanwhile are lost, so it forgets every cached session and role
and the cached config, and reloads the registry (``resync``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chartkeep.core.handles import Core
from chartkeep.schema.model import class_from_json
from chartkeep.storage import schema_store

log = logging.getLogger("chartkeep.peers")


class Peers:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._tasks: set[asyncio.Task[None]] = set()

    def apply(self, notice: list[Any]) -> None:
        core = self.core
        kind, args = notice[0], notice[1:]
        if kind == "session":
            core.sessions.drop_digest(str(args[0]), tell=False)
        elif kind == "user":
            core.sessions.drop_user(str(args[0]), tell=False)
        elif kind == "sessions":
            core.sessions.clear(tell=False)
        elif kind == "roles":
            core.roles.invalidate([str(a) for a in args] if args else None, tell=False)
        elif kind == "config":
            core.config.drop(tell=False)
        elif kind == "class":
            name, data = str(args[0]), args[1]
            if data is None:
                core.registry.remove(name, tell=False)
            else:
                core.registry.put(class_from_json(data), tell=False)
        else:
            log.warning("ignoring an unknown notice from another process: %r", kind)

    def resync(self) -> None:
        """Notices may have been missed: forget every cached session and role, reload the classes."""
        log.warning("notices from other processes may have been missed: caches dropped, classes reloaded")
        self.core.sessions.clear(tell=False)
        self.core.roles.invalidate(tell=False)
        self.core.config.drop(tell=False)
        task = asyncio.get_running_loop().create_task(self._reload())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload(self) -> None:
        async with self.core.db.read() as conn:
            self.core.registry.replace_all(await schema_store.load_all(conn))
