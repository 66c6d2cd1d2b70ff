"""``@cloud.before_save`` / ``after_save`` / ``before_delete`` / ``after_delete`` on the hook registry.

They are registered as user hooks (``builtin=False``), so they run after every built-in rule of the
same kind. ``before_*`` run inside the write's transaction: raising refuses the write and nothing of
it is stored. ``req.object`` of a ``before_save`` is the object as it will be stored (Parse JSON);
what the trigger changes in it is stored too, except what it may not change — a field the server
owns (``Hooks.own``: a note's status, a score, a signature), a field the built-in rules set in this
write, the object's id and times, and the ACL of chart data (the care team's) and of Parse's own
classes: changing one refuses the write with 141. ``after_*`` run once the write committed; a
failure or time-out is logged and never undoes the write.

What a ``before_save`` changed is named by the write's own ledger entry:
``metadata.cloudTriggers`` maps each trigger that changed the object to the fields it changed
(``{"before_save Patient": ["fullName"]}``), besides the fields the client sent.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, replace
from typing import Any

from chartkeep.access.acl import acl_to_perms
from chartkeep.cloud.declare import TriggerSpec
from chartkeep.cloud.requests import TriggerRequest
from chartkeep.cloud.run import invoke
from chartkeep.core.handles import Core
from chartkeep.core.hooks import EVERY_FIELD, Hook, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import update_ops, write_echo
from chartkeep.records.present import present
from chartkeep.schema.charts import is_chart_class
from chartkeep.schema.codec import decode, infer_spec
from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.storage import rows

log = logging.getLogger("chartkeep.cloud")
FIXED = ("objectId", "createdAt", "updatedAt")
_MISSING = object()


@dataclass(frozen=True, slots=True)
class RulesChanged:
    """The fields the built-in rules set in this write (before any user trigger ran)."""

    fields: frozenset[str]


def shown(event: WriteEvent, obj: dict[str, Any]) -> dict[str, Any]:
    """An internal row as Parse JSON, every field included (triggers see the whole object)."""
    return present(event.schema, {"objectId": event.object_id, **obj}, replace(event.ctx, is_master=True))


def to_store(event: WriteEvent, current: dict[str, Any] | None) -> dict[str, Any]:
    """The object as this write will store it, as Parse JSON — fields it adds to the class included."""
    obj = shown(event, {**(current or {}), **event.values})
    obj.update({k: event.body[k] for k in _new_fields(event)})  # as sent: their columns come at store time
    return obj


def _new_fields(event: WriteEvent) -> dict[str, FieldSpec]:
    """Fields this write adds to its class (the client sent them; the columns come at store time)."""
    out = {}
    for key, value in event.body.items():
        if key not in event.schema.fields and key in event.values and not update_ops.is_op(value):
            spec = infer_spec(value)
            if spec is not None:
                out[key] = spec
    return out


def _refuse(class_name: str, key: str, why: str) -> ParseError:
    return ParseError(Code.SCRIPT_FAILED, f"before_save of {class_name} may not change {key}: {why}")


def _acl_is_servers(schema: ClassSchema) -> bool:
    return schema.name.startswith("_") or is_chart_class(schema.name)


def apply_changes(core: Core, event: WriteEvent, before: dict[str, Any], after: Any, by_rules: frozenset[str],
                  who: str) -> None:
    """Store what a user ``before_save`` (``who``: "before_save Patient") changed in ``req.object``,
    or refuse the write; the fields it changed are kept on ``event.changed_by`` for the ledger."""
    schema = event.schema
    added = _new_fields(event)
    if not isinstance(after, dict):
        raise ParseError(Code.SCRIPT_FAILED, f"before_save of {schema.name}: req.object must stay a dict")
    owned = core.hooks.owned_fields(schema.name)
    changed: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        if key in FIXED:
            raise _refuse(schema.name, key, "the server sets it")
        if key == "ACL":
            if _acl_is_servers(schema):
                raise _refuse(schema.name, key, "the server sets the ACL of this class")
            perms = acl_to_perms(None if new is _MISSING else new)
            event.values["_rperm"], event.values["_wperm"] = perms
            changed.append(key)
            continue
        if EVERY_FIELD in owned or key in owned or key in by_rules:
            raise _refuse(schema.name, key, "the server sets it")
        spec = schema.fields.get(key) or added.get(key)
        if spec is None or spec.type == "Relation":
            raise _refuse(schema.name, key, f"{schema.name} has no such field" if spec is None
                          else "a relation is changed by the client's write")
        event.values[key] = None if new is _MISSING else decode(schema.name, key, spec, new)
        changed.append(key)
    if changed:
        named = event.changed_by.setdefault(who, [])
        named.extend(k for k in changed if k not in named)


def rules_changed(event: WriteEvent) -> frozenset[str]:
    """Measured once per write, when the first user trigger starts."""
    found = event.carried(RulesChanged)
    if found is None:
        before = event.before_rules if event.before_rules is not None else event.values
        changed = write_echo.diff(before, event.values, event.is_new)
        found = RulesChanged(frozenset(changed))
        event.carry(found)
    return found.fields


def before_save(spec: TriggerSpec, timeout: float | None) -> Hook[Core]:
    async def hook(core: Core, event: WriteEvent) -> None:
        by_rules = rules_changed(event)
        current = None if event.is_new else await event.load_current()
        obj = to_store(event, current)
        original = shown(event, current) if current is not None else None
        req = TriggerRequest(core, event.ctx, "before_save", spec.class_name, copy.deepcopy(obj), original,
                             event.conn)
        await invoke(f"before_save {spec.class_name}", spec.fn, req, timeout)
        apply_changes(core, event, obj, req.object, by_rules, f"before_save {spec.class_name}")

    return hook


def before_delete(spec: TriggerSpec, timeout: float | None) -> Hook[Core]:
    async def hook(core: Core, event: WriteEvent) -> None:
        if event.current is None:
            return
        obj = shown(event, event.current)
        req = TriggerRequest(core, event.ctx, "before_delete", spec.class_name, obj, None, event.conn)
        await invoke(f"before_delete {spec.class_name}", spec.fn, req, timeout)

    return hook


async def _after(core: Core, spec: TriggerSpec, req: TriggerRequest, timeout: float | None) -> None:
    what = f"{spec.kind} {spec.class_name}"
    try:
        await invoke(what, spec.fn, req, timeout)
    except ParseError as exc:  # logged, never undoes the committed write
        log.error("cloud %s: %s (%s)", what, exc.message, exc.code)
    except Exception:  # noqa: BLE001 - an after-commit callback must never fail the request
        log.exception("cloud %s failed", what)


def after_save(spec: TriggerSpec, timeout: float | None) -> Hook[Core]:
    async def hook(core: Core, event: WriteEvent) -> None:
        stored = await rows.fetch_for_write(event.conn, event.schema, event.object_id, None)
        if stored is None:
            return
        original = shown(event, event.current) if event.current is not None and not event.is_new else None
        req = TriggerRequest(core, event.ctx, "after_save", spec.class_name, shown(event, stored), original, None)

        def later() -> Any:
            return _after(core, spec, req, timeout)

        event.conn.on_commit(later)

    return hook


def after_delete(spec: TriggerSpec, timeout: float | None) -> Hook[Core]:
    async def hook(core: Core, event: WriteEvent) -> None:
        if event.current is None:
            return
        req = TriggerRequest(core, event.ctx, "after_delete", spec.class_name, shown(event, event.current), None,
                             None)

        def later() -> Any:
            return _after(core, spec, req, timeout)

        event.conn.on_commit(later)

    return hook


MAKERS = {"before_save": before_save, "after_save": after_save, "before_delete": before_delete,
          "after_delete": after_delete}
