"""The fields a write's before-save hooks set, echoed in its response as Parse Server does.

Parse Server compares the object a ``beforeSave`` trigger returns with what the client sent and
adds every field that differs ("fields changed by trigger") to the create/update response; the
SDKs apply them to the saved object, so an app sees ``status: "sent"`` after ``save()`` without
a fetch. Chartkeep's clinical rules are built-in before-save hooks, so the same holds for them:

* ``diff`` (right after the hooks): the fields whose value differs from the client's decoded body
  (added or changed), and those a hook dropped from it. A field the client sent and the hook left
  as it was is not echoed. ``_rperm``/``_wperm`` changed by a hook (the care-team ACL) are
  echoed as ``ACL``, as Parse echoes an ACL a trigger (or a CLP default ACL) set.
* ``response_fields`` (after the row is stored): those fields as reads present them (Date,
  Pointer, File with the reader's signed url — records/present.py). A dropped field is echoed as
  the value the row keeps (updates), or ``{"__op": "Delete"}`` when it holds none — Parse's answer
  for a field a trigger unset, sent (as Parse does) only to the JS SDK from 1.9 on.

Never echoed: internal columns (``_hashed_password``, ``_auth_data``…: they are not fields),
``authData``/``password``, a field that the class's ``protectedFields`` hides from the caller,
and nothing at all when the caller may not read the object it wrote (its ACL or the class's
``get`` permission keeps them out). The master key sees everything a read would show it.
"""

from __future__ import annotations

import copy
from typing import Any

from chartkeep.access import clp
from chartkeep.access.acl import can_read, perms_to_acl
from chartkeep.access.protected import hidden_fields
from chartkeep.errors import ParseError
from chartkeep.records.present import present
from chartkeep.schema.file_values import is_file
from chartkeep.storage import rows
from chartkeep.storage.database import Conn

PERMS = ("_rperm", "_wperm")
NEVER = frozenset({"authData", "password", "sessionToken"})
DELETE = {"__op": "Delete"}
_MISSING = object()


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """The client's decoded body, before any hook runs (hooks may change values in place)."""
    return copy.deepcopy(values)


def _comparable(value: Any) -> Any:
    """Files inside an Array are stored without their (per-reader) url: compare by name."""
    if isinstance(value, list):
        return [{"__type": "File", "name": v.get("name")} if is_file(v) else v for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(_comparable(a) == _comparable(b))
    except Exception:  # values that do not compare (never expected): treat as changed
        return False


def _perm_key(values: dict[str, Any], name: str) -> Any:
    value = values.get(name, _MISSING)
    return sorted(value) if isinstance(value, list) else value


def diff(before: dict[str, Any], after: dict[str, Any], is_new: bool) -> dict[str, bool]:
    """Field name → True when a hook set it, False when a hook dropped the client's value."""
    changed: dict[str, bool] = {}
    for key, value in after.items():
        if key in PERMS:
            continue
        old = before.get(key, None if is_new else _MISSING)
        if old is _MISSING or not _same(old, value):
            changed[key] = True
    for key, value in before.items():
        if key not in after and key not in PERMS and not (is_new and value is None):
            changed[key] = False
    if any(_perm_key(before, p) != _perm_key(after, p) for p in PERMS):
        changed["ACL"] = True
    return changed


def _may_read(ctx: Any, schema: Any, row: dict[str, Any]) -> bool:
    """What a read of the stored object by this caller would allow: ACL and the class's ``get``."""
    if ctx.is_master:
        return True
    if not can_read(ctx, row):
        return False
    try:
        fields = clp.require(ctx, schema, "get")
    except ParseError:
        return False
    return not fields or any(_names(row.get(f), ctx.user_id) for f in fields)


def _names(value: Any, user_id: str | None) -> bool:
    if user_id is None:
        return False
    if isinstance(value, list):
        return any(_names(v, user_id) for v in value)
    if isinstance(value, dict):
        return bool(value.get("objectId") == user_id)
    return bool(value == user_id)


async def response_fields(
    w: Any, conn: Conn, changed: dict[str, bool], before: dict[str, Any], current: dict[str, Any] | None,
    is_new: bool,
) -> dict[str, Any]:
    """The hook-set fields to add to the write's response, in Parse's key order (fields, ACL).

    ``current`` is the row before an update when the pipeline or a hook loaded it; without it the
    row is read back as now stored (one lookup by id, only when a hook changed something)."""
    schema, ctx = w.schema, w.ctx
    if not changed or schema is None or w.object_id is None:
        return {}
    if is_new:
        row = {"objectId": w.object_id, **w.values}
    elif current is not None:
        row = {**current, **w.values, "objectId": w.object_id}
    else:
        row = {**(await rows.fetch_for_write(conn, schema, w.object_id, None) or w.values), "objectId": w.object_id}
    if not _may_read(ctx, schema, row):
        return {}
    names = {k for k in changed if k == "ACL" or _echoable(schema, k)}
    if not is_new:  # a dropped value is echoed only where the row keeps another one
        names = {k for k in names if changed[k] or not _same(before.get(k), row.get(k))}
    names -= hidden_fields(ctx, schema, row)
    if not names:
        return {}
    shown = present(schema, {**row, **_public_acl(row)}, ctx, keys=names)
    forward_delete = supports_forward_delete(ctx.extra.get("client_version"))
    out: dict[str, Any] = {}
    for name in schema.fields:
        if name in names and name in shown:
            out[name] = shown[name]
        elif name in names and forward_delete:
            out[name] = DELETE
    if "ACL" in names and "ACL" in shown:
        out["ACL"] = shown["ACL"]
    return out


def supports_forward_delete(client_version: Any) -> bool:
    """Parse answers ``{"__op": "Delete"}`` only to the JS SDK from 1.9.0 on, which applies it;
    other SDKs would store the operation as the value, so they are sent nothing for the field."""
    if not isinstance(client_version, str) or not client_version.startswith("js"):
        return False
    parts = []
    for piece in client_version[2:].split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            return False
        parts.append(int(digits))
    return tuple(parts + [0] * (2 - len(parts))) >= (1, 9)


def _echoable(schema: Any, name: str) -> bool:
    spec = schema.fields.get(name)
    return spec is not None and spec.type != "Relation" and name not in NEVER


def _public_acl(row: dict[str, Any]) -> dict[str, Any]:
    """A hook that made the object public (no permission columns) echoes Parse's public ACL."""
    if perms_to_acl(row.get("_rperm"), row.get("_wperm")) is None:
        return {"_rperm": ["*"], "_wperm": ["*"]}
    return {}
