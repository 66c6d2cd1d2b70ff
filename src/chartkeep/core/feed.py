"""What a committed write tells LiveQuery: a ``Change``, handed to a ``Feed``.

The write pipeline (records/live_feed.py) builds one ``Change`` per committed write and publishes
it on the transaction's on-commit queue; the feed is LiveQuery's bus (chartkeep.live).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(slots=True)
class Change:
    class_name: str
    object_id: str
    original: dict[str, Any] | None  # the row before the write (None: created)
    current: dict[str, Any] | None  # the row after it (None: deleted)
    event_id: str = ""  # assigned by the bus that carries it


class Feed(Protocol):
    """Where committed changes go (an in-process or a Redis bus, see ``chartkeep.live``)."""

    def tracks(self, class_name: str) -> bool: ...

    def publish(self, change: Change) -> None: ...
