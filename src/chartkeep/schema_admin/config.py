"""Parse Config: parameters an app reads at launch (``Parse.Config.get()``), set by an administrator.

* ``GET /config``: ``{"params": {...}, "masterKeyOnly": {...}}``; without the master key the
  parameters flagged ``masterKeyOnly`` are left out. Before any config was saved: ``{"params": {}}``.
* ``PUT /config`` (master key): ``{"params": {name: value}, "masterKeyOnly": {name: true}}`` sets
  those parameters (the others are kept); a parameter's flag is ``false`` unless sent ``true``;
  ``{"__op": "Delete"}`` as a value removes the parameter. Answers ``{"result": true}``.
* GraphQL (Parse Server 9): ``cloudConfig(paramName)`` and ``updateCloudConfig``, master key only.

The config is the one row ``"1"`` of the master-only class ``_GlobalConfig``, written through the one
write primitive (records/commit.py): every change is a ledger entry naming the parameters it set or
removed (never their values). Each process keeps the config in memory (core/config_cache.py); a hook
on ``_GlobalConfig`` drops that copy, here and in every other process, when a change commits.
"""

from __future__ import annotations

from typing import Any

import orjson

from chartkeep.context import RequestContext
from chartkeep.core.config_cache import StoredConfig
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.system import GLOBAL_CONFIG_ID
from chartkeep.storage import rows
from chartkeep.storage.queries import locks

CLASS = "_GlobalConfig"
PERMISSION_DENIED = "Permission denied"


def _delete_op(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__op") == "Delete" and len(value) == 1


def _stored(row: dict[str, Any] | None) -> StoredConfig:
    if row is None:
        return StoredConfig()
    flags = row.get("masterKeyOnly") or {}
    return StoredConfig(dict(row.get("params") or {}), {k: v is True for k, v in flags.items()}, True)


async def load(core: Core) -> StoredConfig:
    """The stored config, from this process's memory when it has it."""
    cached = core.config.get()
    if cached is not None:
        return cached
    generation = core.config.generation
    async with core.db.read() as conn:
        config = _stored(await rows.fetch(conn, core.schema_or_404(CLASS), GLOBAL_CONFIG_ID))
    core.config.put(config, generation)
    return config


async def get_config(core: Core, ctx: RequestContext) -> dict[str, Any]:
    config = await load(core)
    if not config.exists:
        return {"params": {}}
    params, flags = dict(config.params), dict(config.master_key_only)
    if not ctx.is_master:
        for name in [n for n in params if flags.get(n)]:
            del params[name]
            del flags[name]
    return {"params": params, "masterKeyOnly": flags}


def _check(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    params = body.get("params")
    flags = body.get("masterKeyOnly")
    if not isinstance(params, dict):
        raise ParseError(Code.INVALID_JSON, "params must be an object of config parameters.")
    if flags is None:
        flags = {}
    if not isinstance(flags, dict):
        raise ParseError(Code.INVALID_JSON, "masterKeyOnly must be an object of booleans.")
    for name in params:
        if not name or "." in name or name.startswith("$"):
            raise ParseError(Code.INVALID_KEY_NAME, f"Invalid config parameter name: {name}")
    for name, flag in flags.items():
        if not isinstance(flag, bool) and not _delete_op(flag):
            raise ParseError(Code.INVALID_JSON, f"masterKeyOnly.{name} must be true or false.")
    return params, flags


async def put_config(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, PERMISSION_DENIED)
    changes, flag_changes = _check(body)
    schema = core.schema_or_404(CLASS)
    async with core.db.transaction() as tx:
        await locks.xact_lock(tx, "chartkeep.config")  # two first PUTs must not both insert row "1"
        row = await rows.fetch_for_write(tx, schema, GLOBAL_CONFIG_ID, None)
        current = _stored(row)
        params, flags = dict(current.params), dict(current.master_key_only)
        set_names, removed = [], []
        for name, value in changes.items():
            if _delete_op(value):
                params.pop(name, None)
                flags.pop(name, None)
                removed.append(name)
                continue
            params[name] = value
            flags[name] = flag_changes.get(name) is True
            set_names.append(name)
        for name, flag in flag_changes.items():  # a flag sent for a parameter not in params
            if name not in changes and name in params:
                flags[name] = flag is True
                set_names.append(name)
        size = len(orjson.dumps(params))
        if size > core.settings.config_max_bytes:
            raise ParseError(Code.OBJECT_TOO_LARGE,
                             f"The config would be {size} bytes, more than config_max_bytes ({core.settings.config_max_bytes}).")
        why = "; ".join(part for part in (
            f"config parameters set: {', '.join(sorted(set(set_names)))}" if set_names else "",
            f"config parameters removed: {', '.join(sorted(removed))}" if removed else "",
        ) if part) or "config saved unchanged"
        values = {"params": params, "masterKeyOnly": flags}
        if row is None:
            await commit.server_insert(core, tx, ctx, CLASS, {**values, "_rperm": [], "_wperm": []},
                                       why=why, object_id=GLOBAL_CONFIG_ID)
        else:
            await commit.server_update(core, tx, ctx, CLASS, GLOBAL_CONFIG_ID, values, why=why, before=row)
        tx.on_commit(lambda: core.config.drop())  # here and, through Redis, in every other process
    return {"result": True}


# ---- GraphQL (Parse Server 9's cloudConfig / updateCloudConfig) --------------------------------------


async def cloud_config(core: Core, ctx: RequestContext, name: str) -> dict[str, Any]:
    """``{value, isMasterKeyOnly}`` of one parameter; both null when it is not set."""
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, PERMISSION_DENIED)
    config = await load(core)
    if name not in config.params:
        return {"value": None, "isMasterKeyOnly": None}
    return {"value": config.params[name], "isMasterKeyOnly": config.master_key_only.get(name)}


async def update_cloud_config(core: Core, ctx: RequestContext, name: str, value: Any,
                              master_key_only: bool) -> dict[str, Any]:
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, PERMISSION_DENIED)
    await put_config(core, ctx, {"params": {name: value}, "masterKeyOnly": {name: master_key_only}})
    return {"value": value, "isMasterKeyOnly": master_key_only}


# ---- the cached copy follows every client write of _GlobalConfig (the master key through /classes) ----


async def _changed(core: Core, event: WriteEvent) -> None:
    event.conn.on_commit(lambda: core.config.drop())


def register(hooks: Hooks[Core]) -> None:
    hooks.add("after_save", CLASS, _changed)
    hooks.add("after_delete", CLASS, _changed)
