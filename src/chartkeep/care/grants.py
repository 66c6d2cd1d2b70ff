"""``RecordGrant``: an explicit, audited permission to read one restricted record.

A psychotherapy note or a 42 CFR Part 2 record (``care.labels``) is read by its author alone.
Its author — or an admin, for a legal request — opens it to someone else with a ``RecordGrant``
(``recordClass``, ``recordId``, ``grantee``, ``reason``, optional ``expiresAt``; ``grantedBy`` is
the server's). While the grant is active the grantee holds the read-only role
``recordGrant_<Class>_<id>`` that the record's ACL names (a note's grant opens its versions,
signatures and attachments too); deleting the grant revokes it, and it lapses at ``expiresAt``.

Grants are immutable; each creation and revocation is a ``permission_change`` ledger entry naming
the record, its patient, the grantee and the reason. ``recordGrant_…`` role names are reserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.access.principals import ADMIN, AUDITOR, chart_mark
from chartkeep.care import labels
from chartkeep.care.labels import AUTHORS, GRANT_PREFIX, grant_role
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.core.role_cache import RoleSet
from chartkeep.errors import Code, ParseError
from chartkeep.ledger import entries
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.storage.database import Conn
from chartkeep.storage.queries.grants import holds_record_grant, record_grants_of

GRANTS = "RecordGrant"


async def holds_grant(conn: Conn, core: Core, user_id: str | None, class_name: str, object_id: str) -> bool:
    if not user_id or core.registry.get(GRANTS) is None:
        return False
    return await holds_record_grant(conn, user_id, class_name, object_id)


async def read_roles(core: Core, conn: Conn, user_id: str, roles: RoleSet) -> None:
    """Role source: the read-only roles a user's active grants give, and when they end."""
    if core.registry.get(GRANTS) is None:
        return
    for class_name, object_id, expires in await record_grants_of(conn, user_id):
        roles.read_names.add(grant_role(class_name, object_id))
        if expires is not None:
            roles.ends.append(expires.timestamp())


@dataclass(frozen=True, slots=True)
class GrantTarget:
    """The chart of the record a new grant opens, for its ``permission_change`` entry."""

    chart: tuple[str, str] | None


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ParseError(Code.VALIDATION_ERROR, f"{name} is required")
    return value.strip()


async def grant_before_save(core: Core, event: WriteEvent) -> None:
    if not event.is_new:
        raise ParseError(Code.VALIDATION_ERROR, "A RecordGrant is immutable: revoke it (delete) and grant again.")
    values, ctx = event.values, event.ctx
    record_class, record_id = _text(values, "recordClass"), _text(values, "recordId")
    values["reason"] = _text(values, "reason")
    if record_class not in AUTHORS:
        raise ParseError(Code.VALIDATION_ERROR, f"recordClass must be one of {', '.join(AUTHORS)}")
    record = await labels.stored(event.conn, core, record_class, record_id)
    if record is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: {record_class} {record_id}")
    author = record.get(AUTHORS[record_class])
    if not (labels.is_author(ctx, author) or ADMIN in ctx.principals()):
        raise ParseError(Code.OPERATION_FORBIDDEN,
                         "Permission denied: only the record's author or an admin grants access to it.")
    if not labels.labels_of(record):
        raise ParseError(Code.VALIDATION_ERROR, "Only a restricted record (psychotherapy, 42CFR2) needs a grant.")
    grantee = values.get("grantee")
    if await labels.stored(event.conn, core, "_User", grantee) is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: _User {grantee}")
    expires = values.get("expiresAt")
    if expires is not None and expires <= now_ms():
        raise ParseError(Code.VALIDATION_ERROR, "expiresAt must be in the future")
    if ctx.user_id:
        values["grantedBy"] = ctx.user_id
    readers = {grantee, values.get("grantedBy"), author, ADMIN, AUDITOR}
    writers = {author, ADMIN}
    chart = entries.patient_of(record_class, record)
    if chart:
        readers.add(chart_mark(*chart))
    if not (ctx.is_master and "ACL" in event.body):
        values["_rperm"] = sorted(p for p in readers if p)
        values["_wperm"] = sorted(p for p in writers if p)
    event.carry(GrantTarget(chart))


def _entry(event: WriteEvent, grant: dict[str, Any], chart: tuple[str, str] | None, action: str) -> Any:
    expires = grant.get("expiresAt")
    return entries.entry(
        event.ctx, "permission_change", target_class=grant["recordClass"], target_id=grant["recordId"],
        patient=chart[1] if chart else None, patient_class=chart[0] if chart else None,
        details=f"RecordGrant {action}: {grant['recordClass']} {grant['recordId']} for user {grant['grantee']}",
        metadata={"recordGrant": event.object_id, "grantee": grant["grantee"], "action": action,
                  "reason": grant.get("reason"), "expiresAt": iso_ms(expires) if expires else None})


def _forget(core: Core, event: WriteEvent, user_id: str | None) -> None:
    if user_id:
        event.conn.on_commit(lambda: core.roles.invalidate([user_id]))


async def grant_after_save(core: Core, event: WriteEvent) -> None:
    found = event.carried(GrantTarget)
    if found is None:
        return
    await entries.record(core, event.conn, [_entry(event, event.values, found.chart, "granted")])
    _forget(core, event, event.values.get("grantee"))


async def grant_after_delete(core: Core, event: WriteEvent) -> None:
    grant = event.current or {}
    record = await labels.stored(event.conn, core, grant.get("recordClass", ""), grant.get("recordId"))
    chart = entries.patient_of(grant["recordClass"], record) if record else None
    await entries.record(core, event.conn, [_entry(event, grant, chart, "revoked")])
    _forget(core, event, grant.get("grantee"))


async def reserved_role_names(core: Core, event: WriteEvent) -> None:
    name = event.values.get("name")
    if event.is_new and isinstance(name, str) and name.startswith(GRANT_PREFIX) and not event.ctx.is_master:
        raise ParseError(Code.INVALID_ROLE_NAME, f"Role names starting with {GRANT_PREFIX} are reserved for record grants.")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", GRANTS, grant_before_save)
    hooks.add("after_save", GRANTS, grant_after_save)
    hooks.add("after_delete", GRANTS, grant_after_delete)
    hooks.add("before_save", "_Role", reserved_role_names)
    hooks.add_role_source(read_roles)
