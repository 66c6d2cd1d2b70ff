"""A ledger entry and the hash that chains it to the one before in its chain.

``hash = SHA-256(prevHash || "|" || canonical JSON of the entry's content)``. The content is the
entry's position in its chain followed by every column a reader sees, in a fixed order, so changing
any of them — or the order of rows, or removing one — breaks the chain at that row. The ledger is
partitioned into chains (``audit/chains.py``); each starts from its own genesis hash, so a row
moved from one chain to another does not link there. ``seq`` is the global reading order only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from chartkeep.schema.dates import iso_ms

GENESIS = "0" * 64
SUCCESS, FAILURE = "success", "failure"


@dataclass(slots=True)
class Entry:
    event_type: str
    actor: str | None = None
    patient: str | None = None
    patient_class: str | None = None  # "Patient" (EHR) or "PatientProfile" (behavioral health)
    target_class: str | None = None
    target_id: str | None = None
    outcome: str = SUCCESS
    details: str | None = None
    metadata: dict[str, Any] | None = None
    ip_address: str | None = None
    source: str = "server"  # "client" for events a client appended itself
    severity: str = "normal"
    object_id: str | None = None  # assigned on append
    time: datetime | None = None  # server time, assigned on append
    seq: int = 0  # global reading order, assigned by the database on insert
    chain: int = 0  # which chain the entry is linked in (1..N)
    position: int = 0  # its place in that chain (1, 2, …)
    prev_hash: str = ""
    hash: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # text quoted from a refused request may carry NUL, which PostgreSQL text cannot hold
        for name in ("details", "target_id", "target_class", "patient", "actor"):
            value = getattr(self, name)
            if isinstance(value, str) and "\x00" in value:
                setattr(self, name, value.replace("\x00", "\\u0000"))

    def content(self) -> list[Any]:
        return [
            self.position, self.object_id, iso_ms(self.time) if self.time else None, self.actor, self.patient,
            self.patient_class, self.event_type, self.target_class, self.target_id, self.outcome,
            self.details, self.metadata, self.ip_address, self.source, self.severity,
        ]


def chain_hash(prev_hash: str, content: list[Any]) -> str:
    payload = orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode() + b"|" + payload).hexdigest()


def seal(entry: Entry, chain: int, position: int, prev_hash: str) -> str:
    entry.chain, entry.position, entry.prev_hash = chain, position, prev_hash
    entry.hash = chain_hash(prev_hash, entry.content())
    return entry.hash
