"""The fan-out: every committed change, matched against every subscription group of its class.

One task takes changes (from the bus) and subscription requests off one queue, in order, so a
subscription starts at a precise point of the change sequence: a resume replays exactly the
events between the client's last event id and that point, and live events follow without a gap
or a duplicate. Per change, each group's query is matched once per side; access is decided once
per (identity, operation); each event is decided and encoded once per subscriber shape
(``Group.shapes``; bodies once per distinct field set, ``render``, and — for a side holding files,
whose links are signed for each subscriber — once per principal and base URL); a subscriber then costs one
byte concatenation and its connection's ``send``, which frames the message and writes it to the
socket at once (``api/live/outlet.py``): sending never waits on a client.

A class with Cloud Code's ``after_live_query_event`` hooks is the exception: each subscriber's
event is handed to them (concurrently for the subscribers of one shape, each within
``cloud_timeout``), may be reshaped — within what the read guard decided (``reshape``) — or
dropped, and is encoded for that subscriber alone. A class without such a hook pays one dict
lookup per change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

import orjson

from chartkeep import metrics
from chartkeep.auth.file_links import principal_of, signer
from chartkeep.core.feed import Change
from chartkeep.core.handles import Core
from chartkeep.core.hooks import LiveDelivery
from chartkeep.errors import Code, ParseError
from chartkeep.live import messages, reshape
from chartkeep.live.decide import decide
from chartkeep.live.disclosures import Disclosures
from chartkeep.live.render import Body, FileLinks
from chartkeep.live.ring import Ring
from chartkeep.live.subscription import Group, Subscription
from chartkeep.live.viewer import Access, EventAccess
from chartkeep.query import ir

log = logging.getLogger("chartkeep.live")
Job = Callable[[], Awaitable[None]]


class Hub:
    def __init__(self, core: Core) -> None:
        self.core = core
        settings = core.settings
        self.ring = Ring(
            settings.live_query_resume_events, settings.live_query_resume_seconds, settings.live_query_resume_bytes
        )
        self.groups: dict[str, dict[bytes, Group]] = {}
        self.seq = 0
        self.disclosures = Disclosures(core)
        self._queue: asyncio.Queue[Change | Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chartkeep-live-hub")
        self.disclosures.start()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.disclosures.close()

    def accept(self, change: Change) -> None:
        """Called by the bus for every committed change (of any process, with Redis)."""
        self._queue.put_nowait(change)

    async def call(self, job: Job) -> None:
        """Run ``job`` between two changes, in the hub's order; return when it has run."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def wrapped() -> None:
            try:
                await job()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                if not done.done():
                    done.set_exception(exc)
                return
            if not done.done():
                done.set_result(None)

        self._queue.put_nowait(wrapped)
        await done

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, Change):
                    self.seq += 1
                    self.ring.add(self.seq, item)
                    await self._dispatch(self.seq, item, self.groups.get(item.class_name, {}).values())
                else:
                    await item()
            except Exception:  # noqa: BLE001 - one bad change must not stop LiveQuery
                log.exception("LiveQuery dispatch failed")

    # ---- subscriptions --------------------------------------------------------------------------

    def group(self, class_name: str, key: bytes, where: dict[str, Any], node: ir.Node) -> Group:
        found = self.groups.get(class_name, {}).get(key)
        return found or Group(class_name, key, where, node, self.core.registry.version)

    def add(self, sub: Subscription, group: Group) -> None:
        """Register ``sub`` (call from a hub job, so it starts at a known point)."""
        by_key = self.groups.setdefault(group.class_name, {})
        group = by_key.setdefault(group.key, group)
        group.add(sub)
        if sub.group is None:
            metrics.subscribed(1)
        sub.group = group
        sub.last_seq = self.seq

    def remove(self, sub: Subscription) -> None:
        self.disclosures.flush(sub)  # what it was sent is in the ledger once it ends
        group, sub.group = sub.group, None
        if group is None:
            return
        metrics.subscribed(-1)
        group.discard(sub)
        if not group.shapes:
            by_key = self.groups.get(group.class_name, {})
            by_key.pop(group.key, None)
            if not by_key:
                self.groups.pop(group.class_name, None)

    async def replay(self, sub: Subscription, group: Group, missed: Iterable[tuple[int, Change]]) -> None:
        """Offer ``sub`` the kept events it missed (``Ring.after``), through the same checks."""
        for seq, change in missed:
            if change.class_name == group.class_name:
                await self._dispatch(seq, change, (group,), only=sub)

    # ---- fan-out --------------------------------------------------------------------------------

    async def _dispatch(self, seq: int, change: Change, groups: Any, only: Subscription | None = None) -> None:
        schema = self.core.registry.get(change.class_name)
        if schema is None:
            return
        original, current = change.original, change.current
        access = EventAccess(self.core, schema)
        bodies: dict[bool, Body] = {}
        grants: dict[tuple[str, str], FileLinks] = {}
        now = time.time()
        hooked = change.class_name in self.core.hooks.live_event  # Cloud Code's after_live_query_event

        def body(from_original: bool) -> Body:
            found = bodies.get(from_original)
            if found is None:
                row = original if from_original else current
                assert row is not None
                found = bodies[from_original] = Body(schema, row)
            return found

        def links(view: Access, sub: Subscription) -> FileLinks:
            """File links for this subscriber: signed for who it reads as, under the URL it used."""
            key = (principal_of(view.ctx), sub.base_url)
            found = grants.get(key)
            if found is None:
                found = grants[key] = FileLinks(key, lambda: signer(self.core.settings, key[0], key[1], now))
            return found

        for group in list(groups):
            group.refresh(self.core.registry)
            match_original = group.matches(original)
            match_current = group.matches(current)
            if not (match_original or match_current):
                continue
            # subscribers of one shape get the same event: decide and encode it once, then each
            # costs its own head (kept per operation) + the shared tail, handed to its connection
            shapes = [(only.shape, {only})] if only is not None else list(group.shapes.items())
            for _shape, subs in shapes:
                first = next(iter(subs), None)
                if first is None:
                    continue
                view = await access.get(first.identity, first.op)
                found = self._event_for(first, view, schema, original, current, match_original, match_current,
                                        body, links(view, first))
                if found is None:
                    continue
                op, obj, before, shown = found
                chart = self.disclosures.chart_of(change.class_name, shown)  # once per shape, not per subscriber
                shown_id = str(shown.get("objectId"))
                if hooked:  # Cloud Code's after_live_query_event: each subscriber's event on its own
                    await self._send_hooked(seq, change, subs, only, view, schema, op, obj, before, chart, shown_id)
                    continue
                tail = messages.event_tail(obj, before, change.event_id)
                chunk = self.core.settings.live_query_fanout_chunk
                sent = 0
                for sub in list(subs):
                    if sub.last_seq < seq:
                        sub.last_seq = seq
                    elif only is None:
                        continue  # already offered (it subscribed after this change)
                    sub.send(sub.head(op) + tail)
                    if chart is not None:
                        self.disclosures.note(sub, view.ctx, chart, change.class_name, shown_id)
                    sent += 1
                    if sent % chunk == 0:
                        await asyncio.sleep(0)  # let REST requests on this event loop run between chunks

    async def _send_hooked(self, seq: int, change: Change, subs: set[Subscription], only: Subscription | None,
                           view: Access, schema: Any, op: str, obj: bytes, before: bytes | None,
                           chart: Any, shown_id: str) -> None:
        """One shape's subscribers, each event through the class's hooks (run concurrently)."""
        targets = []
        for sub in list(subs):
            if sub.last_seq < seq:
                sub.last_seq = seq
            elif only is None:
                continue  # already offered (it subscribed after this change)
            targets.append(sub)
        messages_ = await asyncio.gather(
            *(self._after_event(sub, view, schema, op, obj, before, change.event_id) for sub in targets))
        for sub, message in zip(targets, messages_, strict=True):
            if message is None:
                continue  # dropped by the hook, or the hook failed
            sub.send(message)
            if chart is not None:
                self.disclosures.note(sub, view.ctx, chart, change.class_name, shown_id)

    async def _after_event(self, sub: Subscription, view: Access, schema: Any, op: str, obj: bytes,
                           before: bytes | None, event_id: str) -> bytes | None:
        """One subscriber's event message after the class's ``after_live_query_event`` hooks; None
        when a hook drops it or fails (logged: the event is not delivered)."""
        decided = orjson.loads(obj)
        decided_before = orjson.loads(before) if before is not None else None
        ctx = replace(view.ctx, client_ip=sub.client_ip, installation_id=sub.envelope.installation_id,
                      extra=dict(view.ctx.extra))
        delivery = LiveDelivery(ctx, schema.name, op, orjson.loads(obj),
                                orjson.loads(before) if before is not None else None)
        try:
            await self.core.hooks.run_live_event(self.core, delivery)
            if not delivery.send:
                return None
            if not isinstance(delivery.object, dict) or not isinstance(delivery.original, dict | None):
                raise ParseError(Code.SCRIPT_FAILED, f"after_live_query_event of {schema.name}: req.object must stay a dict")
            owned = self.core.hooks.owned_fields(schema.name)
            out = orjson.dumps(reshape.within(schema, owned, decided, delivery.object))
            out_before = None
            if decided_before is not None and delivery.original is not None:
                out_before = orjson.dumps(reshape.within(schema, owned, decided_before, delivery.original))
        except ParseError as exc:
            log.error("cloud after_live_query_event %s: %s (%s); event not delivered", schema.name, exc.message,
                      exc.code)
            return None
        except (TypeError, orjson.JSONEncodeError) as exc:
            log.error("cloud after_live_query_event %s: the object is not JSON (%s); event not delivered",
                      schema.name, exc)
            return None
        return sub.head(op) + messages.event_tail(out, out_before, event_id)

    @staticmethod
    def _event_for(
        sub: Subscription, view: Access, schema: Any, original: dict[str, Any] | None, current: dict[str, Any] | None,
        match_original: bool, match_current: bool, body: Callable[[bool], Body], links: FileLinks,
    ) -> tuple[str, bytes, bytes | None, dict[str, Any]] | None:
        outcome = decide(
            has_original=original is not None,
            has_current=current is not None,
            match_original=match_original,
            match_current=match_current,
            read_original=view.readable(original),
            read_current=view.readable(current),
            watch_changed=sub.watch_changed(original, current),
        )
        if outcome is None:
            return None
        main = original if outcome.object_from_original else current
        assert main is not None
        obj = body(outcome.object_from_original).encoded(view.hidden(schema, main), sub.keys, links)
        before = None
        if outcome.with_original and original is not None:
            before = body(True).encoded(view.hidden(schema, original), sub.keys, links)
        return outcome.op, obj, before, main
