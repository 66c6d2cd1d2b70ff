"""Signed checkpoints: every chain's head (chain, position, hash) at one time, signed with an Ed25519
key the database does not hold (``audit/signing.py``), stored append-only in ``_AuditCheckpoint``.

Someone able to rewrite ``_Audit`` and ``_AuditChain`` can recompute every hash after a row they
changed — the chain is unkeyed — but cannot sign a new checkpoint: the heads an older checkpoint
signed are no longer in their chains, and ``audit verify`` says so. Shipped to sinks
(``audit/sinks.py``), a checkpoint also outlives a rewrite of its own table.

The signed payload is canonical JSON ``{"format", "time", "heads": [[chain, position, hash], …]}``,
stored verbatim, so verify checks the signature over the exact bytes that were signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from chartkeep.audit.signing import load_or_create, public_hex, sign
from chartkeep.audit.table import CHAINS, CHECKPOINTS
from chartkeep.schema.dates import iso_ms, now_ms, parse_iso
from chartkeep.storage.database import Conn, Database
from chartkeep.storage.dialect import quote

FORMAT = "chartkeep-ledger-checkpoint/1"
_LOCK = 7122026  # PostgreSQL advisory lock: one periodic checkpoint at a time across processes


@dataclass(slots=True)
class Checkpoint:
    id: int
    time: datetime
    payload: str
    public_key: str
    signature: str

    @property
    def heads(self) -> list[tuple[int, int, str]]:
        return [(int(c), int(p), str(h)) for c, p, h in orjson.loads(self.payload).get("heads", [])]

    def record(self) -> dict[str, Any]:
        """What a sink receives (one JSON line, or the webhook's body)."""
        return {"id": self.id, "time": iso_ms(self.time), "heads": [list(h) for h in self.heads],
                "payload": self.payload, "publicKey": self.public_key, "signature": self.signature}


def payload_of(time: datetime, heads: list[tuple[int, int, str]]) -> str:
    body = {"format": FORMAT, "time": iso_ms(time), "heads": [list(h) for h in heads]}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


async def take(db: Database, key_path: Path, not_within_seconds: float = 0) -> Checkpoint | None:
    """Sign and store every chain's current head. ``not_within_seconds``: skip (None) when another
    process took one that recently — several processes on one database take one in turn."""
    key = load_or_create(key_path)
    async with db.transaction() as tx:
        d = tx.dialect
        if not_within_seconds:
            if d.name == "postgresql":
                await tx.execute(f"SELECT pg_advisory_xact_lock({_LOCK})")
            last = await tx.fetchval(f'SELECT MAX("time") FROM {quote(CHECKPOINTS)}')
            if last is not None:
                age = (now_ms() - d.from_db("Date", last)).total_seconds()
                if age < not_within_seconds:
                    return None
        rows = await tx.fetch(f'SELECT "chain", "position", "hash" FROM {quote(CHAINS)} ORDER BY "chain"')
        time = now_ms()
        payload = payload_of(time, [(int(r[0]), int(r[1]), str(r[2])) for r in rows])
        public, signature = public_hex(key.public_key()), sign(key, payload.encode())
        p = ", ".join(f"${i}" if d.name == "postgresql" else "?" for i in range(1, 5))
        new_id = await tx.fetchval(
            f'INSERT INTO {quote(CHECKPOINTS)} ("time", "payload", "publicKey", "signature") VALUES ({p}) '
            'RETURNING "id"', [d.to_db("Date", time), payload, public, signature])
    return Checkpoint(int(new_id), time, payload, public, signature)


async def load_all(conn: Conn) -> list[Checkpoint]:
    rows = await conn.fetch(
        f'SELECT "id", "time", "payload", "publicKey", "signature" FROM {quote(CHECKPOINTS)} ORDER BY "id"')
    return [Checkpoint(int(r[0]), conn.dialect.from_db("Date", r[1]), str(r[2]), str(r[3]), str(r[4]))
            for r in rows]


def from_record(record: dict[str, Any]) -> Checkpoint:
    """A checkpoint as a sink wrote it (verify reads a file sink back)."""
    payload = str(record["payload"])
    time = parse_iso(str(orjson.loads(payload)["time"]))
    return Checkpoint(int(record["id"]), time, payload, str(record["publicKey"]), str(record["signature"]))
