"""Buses carry committed changes from the write pipeline to the hub of every server process.

``LocalBus`` hands a change straight to this process's hub. ``RedisBus`` publishes it on one
Redis pub/sub channel per application and delivers what it reads from that channel — its own
changes included — so every process sees every change in the same (Redis) order and a client
on process A gets the writes made through process B. Event ids (``<origin>-<n>``) are assigned
where the change is published, so they are the same in every process; resume works against
any process that was running when the event passed.

``notify`` carries notices to the other processes (dropped sessions and roles, changed classes;
core/peers.py) on the same channel, in order with the changes. Its result completes once Redis
has taken the notice (or after ``NOTICE_WAIT`` seconds if Redis is away): the on-commit queue awaits
it, so a logout or a care-team removal is answered only when every process can see it. When the
subscription to Redis is (re)established, ``resync`` runs: notices may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from chartkeep.core.feed import Change
from chartkeep.live.codec import decode, encode_change, encode_notice

log = logging.getLogger("chartkeep.live")
Sink = Callable[[Change], None]
NoticeSink = Callable[[list[Any]], None]
OUTBOX_LIMIT = 100_000  # events waiting for Redis; past it the oldest are dropped (and logged)
NOTICE_WAIT = 1.0  # seconds a request waits for Redis to take its notice before going on


class _Sent:
    """Awaitable: the notice reached Redis, or ``NOTICE_WAIT`` passed. Not awaiting it is harmless."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future

    def __await__(self) -> Generator[Any, None, None]:
        return self._wait().__await__()

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.future), NOTICE_WAIT)


class LocalBus:
    def __init__(self, classes: list[str]) -> None:
        self.all = "*" in classes
        self.classes = frozenset(classes)
        self.origin = secrets.token_hex(4)
        self._n = 0
        self._sink: Sink | None = None

    def tracks(self, class_name: str) -> bool:
        return self.all or class_name in self.classes

    def _stamp(self, change: Change) -> Change:
        self._n += 1
        change.event_id = f"{self.origin}-{self._n:x}"
        return change

    def publish(self, change: Change) -> None:
        if self._sink is not None:
            self._sink(self._stamp(change))

    def notify(self, notice: list[Any]) -> Awaitable[None] | None:
        return None  # one process: nobody else to tell

    async def start(self, sink: Sink, notices: NoticeSink | None = None,
                    resync: Callable[[], None] | None = None) -> None:
        self._sink = sink

    async def close(self) -> None:
        self._sink = None


class RedisBus(LocalBus):
    def __init__(self, classes: list[str], url: str, app_id: str) -> None:
        super().__init__(classes)
        self.url = url
        self.channel = f"chartkeep:{app_id}:live"
        self._outbox: asyncio.Queue[tuple[bytes, asyncio.Future[None] | None]] = asyncio.Queue()
        self._notices: NoticeSink | None = None
        self._resync: Callable[[], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self.dropped = 0

    def publish(self, change: Change) -> None:
        if self._outbox.qsize() >= OUTBOX_LIMIT:  # Redis has been away for long: drop the oldest
            self._outbox.get_nowait()
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.error("LiveQuery: Redis unreachable, %d events dropped so far", self.dropped)
        self._outbox.put_nowait((encode_change(self._stamp(change)), None))

    def notify(self, notice: list[Any]) -> Awaitable[None] | None:
        if not self._tasks:  # not serving (a CLI command): no process is listening to this one
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put_nowait((encode_notice(self.origin, notice), future))
        return _Sent(future)

    async def start(self, sink: Sink, notices: NoticeSink | None = None,
                    resync: Callable[[], None] | None = None) -> None:
        import redis.asyncio as redis

        self._sink, self._notices, self._resync = sink, notices, resync
        self._client = redis.from_url(self.url)
        self._tasks = [
            asyncio.create_task(self._read(), name="chartkeep-live-redis-read"),
            asyncio.create_task(self._write(), name="chartkeep-live-redis-write"),
        ]
        try:  # start serving once the channel is subscribed (or give up waiting, and log)
            await asyncio.wait_for(self._subscribed.wait(), 10)
        except TimeoutError:
            log.error("LiveQuery: could not subscribe to Redis at %s yet; retrying in the background", self.url)

    async def _write(self) -> None:
        while True:
            data = await self._outbox.get()
            batch = [data]
            while not self._outbox.empty() and len(batch) < 256:
                batch.append(self._outbox.get_nowait())
            while True:
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for item, _ in batch:
                            pipe.publish(self.channel, item)
                        await pipe.execute()
                    break
                except Exception as exc:  # noqa: BLE001 - keep trying; writes already committed
                    log.error("LiveQuery: publishing to Redis failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)
            for _, future in batch:
                if future is not None and not future.done():
                    future.set_result(None)

    async def _read(self) -> None:
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if self._subscribed.is_set() and self._resync is not None:
                    self._resync()  # notices sent while we were away are lost: forget what they may concern
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        item = decode(message["data"])
                    except Exception:  # noqa: BLE001 - a foreign message on our channel
                        log.warning("LiveQuery: ignoring an undecodable message on %s", self.channel)
                        continue
                    if isinstance(item, Change):
                        if self._sink is not None:
                            self._sink(item)
                    elif item[0] != self.origin and self._notices is not None:
                        self._notices(item[1])  # our own notices were applied when sent
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reconnect
                log.error("LiveQuery: Redis subscription lost (%s); reconnecting", exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):  # closing a broken connection
                    await pubsub.aclose()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self._client.aclose()
        self._sink = None
