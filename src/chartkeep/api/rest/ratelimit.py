"""Per-client-IP rate limits on login and sign-up: an in-process token bucket per (kind, IP).

A bucket holds ``limit`` tokens and refills at ``limit / window`` tokens a second, so a client may
burst ``limit`` requests and then keeps to ``limit`` per ``window``. Past it the request is refused
with Parse Server's answer (src/middlewares.js handleRateLimit): HTTP 429
``{"code": 100, "error": "Too many requests."}``, plus a ``Retry-After`` header. The master key is
exempt. Limits live in the process: with ``serve --workers N`` each worker allows ``limit // N``
(at least 1), so the workers of one server together never allow more than the limit (a client
whose requests all reach one worker gets less); N separate servers behind a load balancer allow
N times the limit.

Buckets are created by ``build_router`` (one set per app) and wrap handlers in the route table, so
``/batch`` sub-requests are counted like direct ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from chartkeep.api.rest.router import Handler, Reply
from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import TooManyRequests
from chartkeep.settings import Settings
from chartkeep.storage.database import Conn

MAX_TRACKED = 10_000  # past this many IPs, full buckets are forgotten


@dataclass(slots=True)
class Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """One kind of limit (login, sign-up); reads its numbers from the settings on every call."""

    def __init__(self, limit: Callable[[Settings], tuple[int, int]], clock: Callable[[], float] = time.monotonic):
        self._limit = limit
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}

    def take(self, settings: Settings, client: str) -> None:
        limit, window = self._limit(settings)
        if limit <= 0 or window <= 0:
            return
        now, rate = self._clock(), limit / window
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now, rate, limit)
            bucket = self._buckets[client] = Bucket(float(limit), now)
        bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens < 1:
            raise TooManyRequests(retry_after=max(1, math.ceil((1 - bucket.tokens) / rate)))
        bucket.tokens -= 1

    def _forget_full(self, now: float, rate: float, limit: int) -> None:
        for key in [k for k, b in self._buckets.items() if b.tokens + (now - b.stamp) * rate >= limit]:
            del self._buckets[key]


def _per_worker(settings: Settings, limit: int) -> int:
    return max(1, limit // settings.workers) if limit > 0 else limit


def login_limit(settings: Settings) -> tuple[int, int]:
    return _per_worker(settings, settings.login_rate_limit), settings.login_rate_window


def signup_limit(settings: Settings) -> tuple[int, int]:
    return _per_worker(settings, settings.signup_rate_limit), settings.signup_rate_window


def limited(limiter: RateLimiter, handler: Handler, when: Callable[[Call], bool] | None = None) -> Handler:
    """``handler`` behind ``limiter`` (for non-master callers, and only calls ``when`` accepts)."""

    async def guarded(core: Core, ctx: RequestContext, call: Call, conn: Conn | None) -> Reply:
        if not ctx.is_master and (when is None or when(call)):
            limiter.take(core.settings, ctx.client_ip or "unknown")
        return await handler(core, ctx, call, conn)

    return guarded
