"""Which chain an entry belongs to, and where each chain starts.

The ledger is N chains (N fixed when the ledger is created and kept in the database: the rows of
``_AuditChain``). An entry's chain is a stable hash of its key, taken modulo N:

- the chart (``patientClass:patient``) when the entry names a patient, so every entry of one chart
  is in one chain, in commit order;
- else the actor (``actor:<user id>``);
- else the target (``target:<class>:<id>``), e.g. a failed login on an unknown account;
- else ``server`` (work of the server with no actor and no target).

Chain 1 starts from the legacy genesis (64 zeros), so a single-chain ledger written before chains
existed continues as chain 1 unchanged; chain k > 1 starts from ``SHA-256("chartkeep ledger chain
k")``, so a row moved into another chain does not link there.
"""

from __future__ import annotations

import hashlib

from chartkeep.audit.entry import GENESIS, Entry


def key_of(entry: Entry) -> str:
    if entry.patient:
        return f"chart:{entry.patient_class or ''}:{entry.patient}"
    if entry.actor:
        return f"actor:{entry.actor}"
    if entry.target_id:
        return f"target:{entry.target_class or ''}:{entry.target_id}"
    return "server"


def key_hash(key: str) -> int:
    """A stable, non-negative 63-bit number (fits a PostgreSQL ``bigint``)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


def chain_of(entry: Entry, chains: int) -> int:
    return key_hash(key_of(entry)) % chains + 1


def genesis(chain: int) -> str:
    if chain == 1:
        return GENESIS
    return hashlib.sha256(f"chartkeep ledger chain {chain}".encode()).hexdigest()
