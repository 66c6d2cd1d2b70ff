"""What the server writes to the audit ledger, and when (ASTM E2147 / ONC 170.315(d)(2)).

Every entry names the actor (``None`` for the master key, flagged in ``metadata``), the client IP,
the event type, the target class/id, the outcome and — when the target is chart data — the
patient. Writes stage their entry on the write's own transaction (it commits or vanishes with
the data); reads and refusals, which have no transaction of their own, go through the group
appender and are answered only once their entry is stored.

Event types: ``login``, ``login_failed``, ``logout``, ``read``, ``create``, ``update``,
``delete``, ``signature_request``, ``sign``, ``decline``, ``amend``, ``file_download``,
``permission_change``, ``break_glass``, ``export``, ``audit_read``, ``publish``, ``unpublish``,
``acknowledge``, ``crisis_flag``, ``submit`` (assessment_functions, crisis_rules, crisis_flag,
self_report_rules); ``smart_client``, ``smart_grant``, ``smart_token``, ``smart_refresh``,
``smart_revoke``, ``smart_refused`` (SMART on FHIR, fhir/smart/); clients append their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from chartkeep.access.principals import chart_of_principal
from chartkeep.audit.append import append, stage
from chartkeep.audit.entry import FAILURE, SUCCESS, Entry
from chartkeep.audit.table import is_ledger_class
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.schema.charts import ROOTS, direct_link, is_chart_class
from chartkeep.storage.database import Conn

NOT_AUDITED: frozenset[str] = frozenset()  # every class is audited, sessions too (never their tokens)


def entry(ctx: RequestContext, event_type: str, **fields: Any) -> Entry:
    e = Entry(event_type, actor=ctx.user_id, ip_address=ctx.client_ip, **fields)
    if ctx.is_master:
        e.metadata = {**(e.metadata or {}), "masterKey": True}
    cloud = ctx.extra.get("cloud")
    if cloud:  # made by the clinic's Cloud Code: the function, trigger or job (cloud/data.py)
        e.metadata = {**(e.metadata or {}), "cloud": cloud}
    return e


def patient_of(class_name: str, obj: dict[str, Any]) -> tuple[str, str] | None:
    """(root class, id) of the chart ``obj`` belongs to: the root itself, the care-team role (or the
    restricted-record marker) the server put in every chart object's ACL, or — a message, or a row
    whose ACL was set explicitly with the master key — its pointer to the root."""
    if class_name in ROOTS and obj.get("objectId"):
        return class_name, obj["objectId"]
    for principal in obj.get("_rperm") or ():
        found = chart_of_principal(principal, ROOTS)
        if found is not None:
            return found
    link = direct_link(class_name)
    if link is not None and link.link is not None and isinstance(obj.get(link.link), str):
        return link.root, obj[link.link]
    return None


async def record(core: Core, conn: Conn | None, entries: list[Entry]) -> None:
    """Inside a transaction: staged on it. Otherwise: group-committed before returning — unless
    the caller holds a pooled read connection, where the entries are appended in a short
    transaction on that connection: the group commit needs a connection of its own, and callers
    that hold one while they wait for it would deadlock once they hold the whole pool."""
    if not entries:
        return
    if conn is not None and conn.in_transaction:
        for e in entries:
            stage(conn, e)
        return
    own = None if conn is None else conn.own_transaction()
    if own is not None:
        async with own as tx:
            await append(tx, entries)
        return
    await core.ledger.append(entries)


# ---- writes ------------------------------------------------------------------------------------


def write_event_type(class_name: str, action: str, body: dict[str, Any], values: dict[str, Any]) -> str:
    if action not in ("create", "update", "delete"):
        return action  # named by a hook already (e.g. ``amend``)
    if class_name == "_Role" or (class_name == "_User" and action != "create" and "role" in body):
        return "permission_change"
    if class_name == "Signature":
        if action == "create":
            return "signature_request"
        status = values.get("status")
        if status in ("signed", "declined"):
            return "sign" if status == "signed" else "decline"
    if class_name == "NoteVersion" and action == "create" and (values.get("isAddendum") or values.get("amendmentReason")):
        return "amend"
    return action


def stage_write(conn: Conn, ctx: RequestContext, class_name: str, object_id: str, action: str,
                body: dict[str, Any], values: dict[str, Any], current: dict[str, Any] | None,
                why: str | None = None, changed_by: dict[str, list[str]] | None = None) -> None:
    """The entry of one stored row (records/commit.py). A client's write names the fields it sent;
    the server's own write says why it was made (``why``: the entry's details) and names the
    fields it set in ``metadata`` (``{"server": true, "fields": [...]}``). User Cloud Code that
    changed the object before it was stored is named with the fields it changed
    (``metadata.cloudTriggers``: ``{"before_save Patient": ["fullName"]}``)."""
    if class_name in NOT_AUDITED:
        return
    chart = patient_of(class_name, {"objectId": object_id, **(current or {}), **values})
    fields = sorted(k for k in body if not k.startswith("_"))
    details = f"fields: {', '.join(fields)}" if fields else None
    e = entry(ctx, write_event_type(class_name, action, body, values), target_class=class_name, target_id=object_id,
              patient=chart[1] if chart else None, patient_class=chart[0] if chart else None,
              details=details if why is None else why)
    if why is not None:
        e.metadata = {**(e.metadata or {}), "server": True, "fields": fields}
    if changed_by:
        e.metadata = {**(e.metadata or {}), "cloudTriggers": {who: sorted(f) for who, f in changed_by.items()}}
    stage(conn, e)


@asynccontextmanager
async def refusals(core: Core, ctx: RequestContext, conn: Conn | None, action: str, class_name: str,
                   object_id: str | None = None, when: bool = True) -> AsyncIterator[None]:
    """A ``ParseError`` raised inside is recorded as a failed ``action`` and re-raised — when the
    work ran in its own transaction (``conn`` None: a caller's batch transaction rolls back)."""
    try:
        yield
    except ParseError as exc:
        if conn is None and when:
            await record_refusal(core, ctx, action, class_name, object_id, exc)
        raise


async def record_refusal(core: Core, ctx: RequestContext, action: str, class_name: str | None, object_id: str | None,
                         error: ParseError, patient: tuple[str, str] | None = None,
                         metadata: dict[str, Any] | None = None) -> None:
    """A refused request, with its outcome (``failure``) and Parse's code and message as details;
    ``patient`` names the chart it was after (e.g. ``patientChart`` of another team's patient)."""
    if class_name in NOT_AUDITED:
        return
    e = entry(ctx, action, target_class=class_name, target_id=object_id, outcome=FAILURE,
              details=f"{error.code}: {error.message}",
              patient=patient[1] if patient else None, patient_class=patient[0] if patient else None)
    if metadata:
        e.metadata = {**(e.metadata or {}), **metadata}
    await core.ledger.append([e])


# ---- reads -------------------------------------------------------------------------------------


def read_entries(ctx: RequestContext, class_name: str, objects: list[tuple[str, dict[str, Any]]]) -> list[Entry]:
    """One entry per patient whose data the request returns (once per request, even when a call
    such as the patient chart reads several classes); ``objects`` are (class, row) pairs, included
    objects among them. Reading the ledger itself is one ``audit_read`` entry."""
    if is_ledger_class(class_name):
        if ctx.extra.get("audit.ledger_read"):
            return []
        ctx.extra["audit.ledger_read"] = True
        return [entry(ctx, "audit_read", target_class=class_name, details=f"{len(objects)} rows")]
    seen: set[tuple[str, str]] = ctx.extra.setdefault("audit.patients", set())
    out = []
    for obj_class, obj in objects:
        chart = patient_of(obj_class, obj)
        if chart is None or chart in seen:
            continue
        seen.add(chart)
        out.append(entry(ctx, "read", patient_class=chart[0], patient=chart[1], target_class=obj_class,
                         target_id=obj.get("objectId")))
    return out


async def record_reads(core: Core, ctx: RequestContext, conn: Conn | None, class_name: str,
                       objects: list[tuple[str, dict[str, Any]]]) -> None:
    if core.settings.audit_reads:
        await record(core, conn, read_entries(ctx, class_name, objects))


def is_patient_class(class_name: str) -> bool:
    return is_chart_class(class_name) or is_ledger_class(class_name)


def login_entry(ctx: RequestContext, user_id: str | None, ok: bool, username: str | None = None,
                reason: str | None = None) -> Entry:
    e = entry(ctx, "login" if ok else "login_failed", target_class="_User", target_id=user_id,
              outcome=SUCCESS if ok else FAILURE, details=reason)
    e.actor = user_id if ok else ctx.user_id
    if username is not None and not ok:
        e.metadata = {**(e.metadata or {}), "username": username}
    return e
