"""Per-key allowances in this process: a token bucket per key (a user, an IP) and limit.

A bucket holds ``limit`` tokens and refills at ``limit / window`` a second, so a key may burst
``limit`` uses and then keeps to ``limit`` per ``window``. Buckets that are full again are
forgotten once ``MAX_TRACKED`` keys are held, so the table cannot grow without bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    limit: int
    rate: float


class Quota:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, limit: int, window: float) -> int | None:
        """Use one token of ``key``'s bucket; None when allowed, else the seconds until one is back."""
        if limit <= 0 or window <= 0:
            return None
        now, rate = self._clock(), limit / window
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(limit), now, limit, rate)
        bucket.tokens = min(float(limit), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp, bucket.limit, bucket.rate = now, limit, rate
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) / rate))
        bucket.tokens -= 1
        return None

    def _forget_full(self, now: float) -> None:
        for key in [k for k, b in self._buckets.items() if b.tokens + (now - b.stamp) * b.rate >= b.limit]:
            del self._buckets[key]
