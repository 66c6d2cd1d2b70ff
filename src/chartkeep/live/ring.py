"""The resume window: the last events this process dispatched, by event id.

A client that reconnects names the last event id it received; the events after it that are
still in the window (at most ``size`` events holding at most ``max_bytes`` together, none older
than ``seconds``) are replayed to it through the same matching and access checks as live events.

The byte bound is what keeps memory flat: each kept event holds the object before and after
the write, so 1,300 updates of a 1 MiB field once took a process from 100 MB to 2.9 GB with no
subscriber at all. An event is counted by ``change_bytes`` (the size of its values as JSON would
spell them, plus a fixed cost per value), and the oldest events leave first.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator

from chartkeep.core.feed import Change
from chartkeep.core.sizes import json_size


def change_bytes(change: Change) -> int:
    """What keeping ``change`` costs, near enough: its rows' text plus a fixed cost per value."""
    return len(change.class_name) + len(change.object_id) + len(change.event_id) + json_size(
        [change.original, change.current])


class Ring:
    def __init__(self, size: int, seconds: float, max_bytes: int = 0) -> None:
        self.size = size
        self.seconds = seconds
        self.max_bytes = max_bytes  # 0: no byte bound
        self.bytes = 0  # what the kept events cost, by ``change_bytes``
        self._items: deque[tuple[int, float, Change, int]] = deque()
        self._seq_of: dict[str, int] = {}

    def add(self, seq: int, change: Change) -> None:
        if self.size <= 0:
            return
        cost = change_bytes(change)
        if self.max_bytes and cost > self.max_bytes:
            # larger than the whole window: not kept, and nothing before it either, so a client
            # that missed it is answered "not resumed" (and queries again) rather than given a gap
            self._items.clear()
            self._seq_of.clear()
            self.bytes = 0
            return
        self._items.append((seq, time.monotonic(), change, cost))
        self.bytes += cost
        self._seq_of[change.event_id] = seq
        self._trim()

    def _trim(self) -> None:
        horizon = time.monotonic() - self.seconds
        while self._items and (
            len(self._items) > self.size
            or self._items[0][1] < horizon
            or (self.max_bytes and self.bytes > self.max_bytes)
        ):
            _, _, old, cost = self._items.popleft()
            self.bytes -= cost
            self._seq_of.pop(old.event_id, None)

    def after(self, event_id: str) -> Iterator[tuple[int, Change]] | None:
        """The kept events after ``event_id``, or None when it is not (or no longer) in the window."""
        self._trim()
        seq = self._seq_of.get(event_id)
        if seq is None:
            return None
        return ((s, c) for s, _, c, _ in list(self._items) if s > seq)
