"""LiveQuery deliveries of chart data, named in the ledger without one entry per event.

A delivered event is a disclosure, like a REST read. The hub notes each delivery of a chart object
here (``note``): per subscription, the patient, the objects (class/id) and how many events. Every
``live_query_disclosure_seconds`` the notes are written as ``read`` entries — one per subscription
and patient in that window, the recipient as actor, ``metadata.liveQuery`` true, the subscription,
the event count, the window and every object delivered — and a subscription's notes are written at
once when it ends (unsubscribe, replaced, connection closed) and when the server stops. So the
ledger grows with subscriptions × patients × windows, never with the number of events, and still
names every recipient and every record.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from chartkeep.audit.entry import Entry
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.ledger.entries import entry, patient_of
from chartkeep.schema.dates import iso_ms, now_ms

log = logging.getLogger("chartkeep.live")


@dataclass(slots=True)
class _Window:
    """What one subscription delivered of one patient's chart since the last flush."""

    actor: str | None
    is_master: bool
    client_ip: str | None
    request_id: int | float
    client_id: str
    first: Any
    last: Any
    events: int = 0
    objects: dict[str, None] = field(default_factory=dict)  # "Class/objectId", in delivery order


class Disclosures:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._open: dict[int, dict[tuple[str, str], _Window]] = {}  # id(subscription) → patient → window
        self._task: asyncio.Task[None] | None = None
        self._writes: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self.core.settings.live_query_disclosure_seconds > 0:
            self._task = asyncio.create_task(self._periodic(), name="chartkeep-live-disclosures")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.flush_all()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    @staticmethod
    def chart_of(class_name: str, row: dict[str, Any]) -> tuple[str, str] | None:
        """The patient whose chart ``row`` belongs to (None: not chart data, nothing to record)."""
        return patient_of(class_name, row)

    def note(self, sub: Any, ctx: RequestContext, chart: tuple[str, str], class_name: str, object_id: str) -> None:
        """``sub`` (a Subscription) was sent an event about ``object_id`` of ``class_name`` in ``chart``,
        reading as ``ctx``."""
        now = now_ms()
        windows = self._open.setdefault(id(sub), {})
        window = windows.get(chart)
        if window is None:
            window = windows[chart] = _Window(ctx.user_id, ctx.is_master, sub.client_ip, sub.request_id,
                                              sub.envelope.client_id, now, now)
        window.events += 1
        window.last = now
        window.objects[f"{class_name}/{object_id}"] = None

    def flush(self, sub: Any) -> None:
        """Write ``sub``'s notes now (it ended)."""
        self._write(self._entries(self._open.pop(id(sub), {})))

    def flush_all(self) -> None:
        entries: list[Entry] = []
        for windows in self._open.values():
            entries += self._entries(windows)
        self._open.clear()
        self._write(entries)

    def _entries(self, windows: dict[tuple[str, str], _Window]) -> list[Entry]:
        out = []
        for (patient_class, patient), w in windows.items():
            ctx = RequestContext(self.core.settings.app_id, is_master=w.is_master, client_ip=w.client_ip)
            objects = list(w.objects)
            e = entry(ctx, "read", patient=patient, patient_class=patient_class,
                      target_class=objects[0].split("/", 1)[0] if objects else None,
                      details=f"LiveQuery: {w.events} event(s), {len(objects)} object(s)")
            e.actor = w.actor
            e.metadata = {**(e.metadata or {}), "liveQuery": True, "subscription": w.request_id,
                          "clientId": w.client_id, "events": w.events, "objects": objects,
                          "from": iso_ms(w.first), "to": iso_ms(w.last)}
            out.append(e)
        return out

    def _write(self, entries: list[Entry]) -> None:
        if not entries:
            return
        task = asyncio.get_running_loop().create_task(self._append(entries))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _append(self, entries: list[Entry]) -> None:
        try:
            await self.core.ledger.append(entries)
        except Exception:  # noqa: BLE001 - logged; the next flush does not depend on it
            log.exception("LiveQuery: recording %d disclosure entries failed", len(entries))

    async def _periodic(self) -> None:
        while True:
            await asyncio.sleep(self.core.settings.live_query_disclosure_seconds)
            self.flush_all()
