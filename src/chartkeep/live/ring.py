"""The resume window: the last events this process dispatched, by event id.

A client that reconnects names the last event id it received; the events after it that are
still in the window (at most ``size`` events, none older than ``seconds``) are replayed to it
through the same matching and access checks as live events.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator

from chartkeep.core.feed import Change


class Ring:
    def __init__(self, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._items: deque[tuple[int, float, Change]] = deque()
        self._seq_of: dict[str, int] = {}

    def add(self, seq: int, change: Change) -> None:
        if self.size <= 0:
            return
        self._items.append((seq, time.monotonic(), change))
        self._seq_of[change.event_id] = seq
        self._trim()

    def _trim(self) -> None:
        horizon = time.monotonic() - self.seconds
        while self._items and (len(self._items) > self.size or self._items[0][1] < horizon):
            _, _, old = self._items.popleft()
            self._seq_of.pop(old.event_id, None)

    def after(self, event_id: str) -> Iterator[tuple[int, Change]] | None:
        """The kept events after ``event_id``, or None when it is not (or no longer) in the window."""
        self._trim()
        seq = self._seq_of.get(event_id)
        if seq is None:
            return None
        return ((s, c) for s, _, c in list(self._items) if s > seq)
