"""Message retention: delete the messages older than ``message_retention_days`` (0: keep forever).

Run by ``chartkeep messages purge`` (or a scheduler calling :func:`purge`). A message's age is its
``sentAt`` (else ``createdAt``). Each purged message is deleted with a ``delete`` ledger entry
naming its patient, source ``server``, details ``retention: …``; LiveQuery subscribers get a
``delete`` event. Its attachments are deleted too — bytes and metadata — unless another object
still holds the file, each with its own ``delete`` entry (target ``_File``). Work is done in
batches, one transaction each, so a stopped purge leaves whole messages and can be re-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chartkeep.audit.append import stage
from chartkeep.audit.entry import Entry
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.files import store
from chartkeep.ledger import entries as ledger
from chartkeep.messaging.rules import MESSAGE
from chartkeep.records import commit
from chartkeep.schema.dates import iso_ms, now_ms
from chartkeep.schema.file_values import attachment_names
from chartkeep.storage import file_store, rows
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import messages

BATCH = 500


@dataclass
class PurgeReport:
    days: int
    cutoff: datetime | None = None
    messages: int = 0
    files: int = 0
    patients: set[str] = field(default_factory=set)


def _entry(target_class: str, target_id: str, details: str, patient: str | None = None) -> Entry:
    return Entry("delete", target_class=target_class, target_id=target_id, details=details,
                 patient=patient, patient_class="PatientProfile" if patient else None,
                 metadata={"retention": True})


async def _purge_one(core: Core, tx: Conn, object_id: str, reason: str, report: PurgeReport) -> list[str]:
    schema = core.registry.get(MESSAGE)
    assert schema is not None
    current = await rows.fetch_for_write(tx, schema, object_id, None)
    server = RequestContext(core.settings.app_id, is_master=True)  # no request: the server's own schedule
    if current is None or not await commit.server_delete(core, tx, server, MESSAGE, object_id, why=reason,
                                                         before=current):
        return []
    chart = ledger.patient_of(MESSAGE, current)
    if chart:
        report.patients.add(chart[1])
    report.messages += 1
    return attachment_names(current.get("attachments"))


async def _drop_file(core: Core, tx: Conn, name: str, reason: str) -> bool:
    """Delete a file no object holds any more."""
    master = RequestContext(core.settings.app_id, is_master=True)
    if await store.readable_holder(core, master, tx, name) is not None:
        return False
    if not await file_store.delete_meta(tx, name):
        return False
    await store.blob_store(core).delete(tx, name)
    stage(tx, _entry("_File", name, reason))
    return True


async def purge(core: Core, *, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    days = core.settings.message_retention_days
    report = PurgeReport(days)
    if days <= 0 or core.registry.get(MESSAGE) is None:
        return report
    report.cutoff = (now or now_ms()) - timedelta(days=days)
    reason = f"retention: sent before {iso_ms(report.cutoff)} (message_retention_days={days})"
    if dry_run:
        async with core.db.read() as conn:
            report.messages = len(await messages.sent_before(conn, report.cutoff))
        return report
    while True:
        async with core.db.transaction() as tx:
            ids = await messages.sent_before(tx, report.cutoff, BATCH)
            names: list[str] = []
            for object_id in ids:
                names += await _purge_one(core, tx, object_id, reason, report)
            for name in dict.fromkeys(names):
                report.files += await _drop_file(core, tx, name, reason)
        if len(ids) < BATCH:
            return report
