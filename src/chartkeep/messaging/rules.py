"""Secure messaging rules on every write of ``Message``, whoever sends it (REST, SDK, GraphQL,
batch, Cloud functions).

* **Sending** (create): the server sets ``from`` (the caller; another user's id → 119),
  ``sentAt`` (server time), ``status`` ``sent`` and ``isRead`` false — a client may send those
  two values (the seed makes ``isRead`` required, so SDK apps do) but not ``delivered``/``read``/
  ``true`` (142). Sender and recipient must both stand in the patient's care relationship: the
  ``PatientProfile``'s own user or a member of its care team (119); nobody writes to themselves
  (142). A ``conversationId`` names one thread of one patient between one pair of people: a
  message naming an existing thread with another patient or pair is refused (142).
* **After sending** nothing of the message changes (``body``, ``attachments``, ``from``, ``to``,
  ``patient``, ``conversationId``, ``sentAt``: 119, master key included) except its receipt,
  which only the recipient advances, forwards only: ``sent`` → ``delivered`` → ``read``
  (backwards 142; the sender or anyone else 119). ``isRead`` is ``status == "read"``:
  ``isRead: true`` alone means read. ``deliveredAt``/``readAt`` are set by the server.
* Only the two participants read it (ACL), only the recipient writes it (its receipt); no
  client deletes it (the class-level permission, and this hook if that is ever widened).

The master key may import history: it may name the sender and set ``sentAt`` and the receipt on
create (made consistent), and skips the relationship checks; never the content rule, and never
advances a receipt (that attests the recipient's reading, as only a signer signs).
"""

from __future__ import annotations

from typing import Any

from chartkeep.care import people as care_people
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.schema.dates import now_ms
from chartkeep.schema.file_values import attachment_names, normalise_attachments
from chartkeep.storage import rows
from chartkeep.storage.queries import messages

MESSAGE = "Message"
SENT, DELIVERED, READ = "sent", "delivered", "read"
STATUSES = (SENT, DELIVERED, READ)
RECEIPT = frozenset({"status", "isRead"})
SERVER_TIMES = ("deliveredAt", "readAt")
FROZEN = ("conversationId", "from", "to", "patient", "body", "attachments", "sentAt")


def _status_value(value: Any) -> str:
    if value not in STATUSES:
        raise ParseError(Code.VALIDATION_ERROR, f"Message status must be one of {', '.join(STATUSES)}.")
    return str(value)


def _perms(sender: str | None, recipient: str | None) -> tuple[list[str], list[str]]:
    people = sorted({p for p in (sender, recipient) if p})
    return people, [recipient] if recipient else []


# ---- sending -----------------------------------------------------------------------------------


async def _send(event: WriteEvent) -> None:
    ctx, values = event.ctx, event.values
    if not ctx.is_master:
        if values.get("from") not in (None, ctx.user_id):
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a message is sent in the sender's own name.")
        values["from"] = ctx.user_id
        values["sentAt"] = now_ms()
        for name in SERVER_TIMES:
            values.pop(name, None)
        _fresh_receipt(values)
    else:
        values.setdefault("sentAt", now_ms())
        _imported_receipt(values)
    sender, recipient = values.get("from"), values.get("to")
    if not sender:
        raise ParseError(Code.VALIDATION_ERROR, "from is required")
    if sender == recipient:
        raise ParseError(Code.VALIDATION_ERROR, "A message is sent to someone else: from and to are the same user.")
    found = values.get("patient")
    exists, owner = await care_people.profile_owner(event.conn, found or "")
    if not exists:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: PatientProfile {found}")
    profile = str(found)
    if not ctx.is_master:
        if not await care_people.in_relationship(event.conn, profile, owner, sender):
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: you may write messages only about your own "
                             "profile or a patient whose care team you are on.")
        if not await care_people.in_relationship(event.conn, profile, owner, recipient):
            raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: the recipient must be the patient or a "
                             "member of the patient's care team.")
    await _same_thread(event, profile, sender, recipient)
    if "attachments" in values:
        values["attachments"] = normalise_attachments(values["attachments"])
    if not (ctx.is_master and "ACL" in event.body):
        values["_rperm"], values["_wperm"] = _perms(sender, recipient)


def _fresh_receipt(values: dict[str, Any]) -> None:
    if values.get("status") not in (None, SENT):
        _status_value(values["status"])
        raise ParseError(Code.VALIDATION_ERROR, f"A message is sent with status sent: {values['status']} is set "
                         "by its recipient afterwards.")
    if values.get("isRead") not in (None, False):
        raise ParseError(Code.VALIDATION_ERROR, "A message is sent unread: isRead is set by its recipient.")
    values["status"], values["isRead"] = SENT, False


def _imported_receipt(values: dict[str, Any]) -> None:
    status = values.get("status")
    if status is None:
        status = READ if values.get("isRead") else SENT
    status = _status_value(status)
    if values.get("isRead") is not None and bool(values["isRead"]) != (status == READ):
        raise ParseError(Code.VALIDATION_ERROR, "isRead is true exactly when status is read.")
    values["status"], values["isRead"] = status, status == READ
    sent = values["sentAt"]
    if status in (DELIVERED, READ):
        values.setdefault("deliveredAt", sent)
    if status == READ:
        values.setdefault("readAt", values["deliveredAt"])


async def _same_thread(event: WriteEvent, profile: str, sender: str, recipient: str | None) -> None:
    """A conversationId is one patient's thread between one pair of people."""
    conversation = event.values.get("conversationId")
    conn = event.conn
    await care_people.xact_lock(conn, f"message-thread:{conversation}")
    row = None if conversation is None else await messages.conversation_start(conn, conversation)
    if row is None:
        return
    if row["patient"] != profile or {row["from"], row["to"]} != {sender, recipient}:
        raise ParseError(Code.VALIDATION_ERROR, "conversationId names another conversation (another patient or "
                         "other participants): start a new conversationId.")


# ---- after sending: the receipt only -----------------------------------------------------------


async def _receipt(event: WriteEvent) -> None:
    ctx, values = event.ctx, event.values
    current = await rows.fetch_for_write(event.conn, event.schema, event.object_id, None)
    if current is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    event.current = current
    participants = (current.get("from"), current.get("to"))
    if not ctx.is_master and ctx.user_id not in participants:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
    if "ACL" in event.body and not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "The ACL of a Message is set by the server.")
    for name in SERVER_TIMES:
        values.pop(name, None)
    for name in FROZEN:
        if name in values and not _same(name, values[name], current.get(name)):
            raise ParseError(Code.OPERATION_FORBIDDEN, f"A sent message cannot be changed ({name}): only its "
                             "recipient records its delivery and reading (status, isRead).")
        values.pop(name, None)
    if RECEIPT & values.keys():
        _advance(values, current, recipient=not ctx.is_master and ctx.user_id == current.get("to"))


def _same(name: str, new: Any, old: Any) -> bool:
    if name == "attachments":
        return (new is None) == (old is None) and attachment_names(new) == attachment_names(old)
    return bool(new == old)


def _wanted(values: dict[str, Any], state: str) -> str:
    status = values.get("status")
    is_read = values.get("isRead")
    if status is not None:
        status = _status_value(status)
    if is_read is None:
        return status or state
    if status is None:
        return READ if is_read else state
    if bool(is_read) != (status == READ):
        raise ParseError(Code.VALIDATION_ERROR, "isRead is true exactly when status is read.")
    return status


def _advance(values: dict[str, Any], current: dict[str, Any], recipient: bool) -> None:
    """The receipt this write asks for; the same state again is a no-op for anyone."""
    state = current.get("status") or (READ if current.get("isRead") else SENT)
    wanted = _wanted(values, state)
    unread = values.pop("isRead", None) is False and state == READ
    values.pop("status", None)
    if wanted == state and not unread:
        return
    if not recipient:  # the sender, and the master key: a receipt attests the recipient's reading
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: only the recipient of a message marks it "
                         "delivered or read.")
    if unread:
        raise ParseError(Code.VALIDATION_ERROR, "A message that was read cannot become unread.")
    if STATUSES.index(wanted) < STATUSES.index(state):
        raise ParseError(Code.VALIDATION_ERROR, f"Message status cannot go back from {state} to {wanted}: "
                         "sent → delivered → read.")
    now = now_ms()
    values["status"], values["isRead"] = wanted, wanted == READ
    if not current.get("deliveredAt"):
        values["deliveredAt"] = now
    if wanted == READ:
        values["readAt"] = now


async def message_before_save(core: Core, event: WriteEvent) -> None:
    if event.is_new:
        await _send(event)
    else:
        await _receipt(event)


async def refuse_delete(core: Core, event: WriteEvent) -> None:
    """Clients never delete a message (the CLP refuses them first); the master key may (retention)."""
    if not event.ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a message is never deleted by a client.")


def register(hooks: Hooks[Core]) -> None:
    hooks.add("before_save", MESSAGE, message_before_save)
    hooks.add("after_delete", MESSAGE, refuse_delete)
