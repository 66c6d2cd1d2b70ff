"""Subscriptions, grouped by query so each change is matched once per distinct ``where``.

The query is the REST query's IR (``query.parse.parse_where``), evaluated by the in-memory
matcher (``query.matcher``) — the same meaning of ``where`` as SQL, one implementation of the
operators. Subscriptions with the same class and ``where`` share a ``Group``; within it, those
with the same shape (identity, CLP operation, keys, watch, base URL) get the same event for any
change, so the hub decides and encodes once per shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from chartkeep.errors import ParseError
from chartkeep.live.messages import Envelope
from chartkeep.live.viewer import Identity
from chartkeep.query import ir
from chartkeep.query.matcher import matches
from chartkeep.query.parse import parse_where


@dataclass(eq=False, slots=True)
class Group:
    class_name: str
    key: bytes
    where: dict[str, Any]
    node: ir.Node
    version: int  # the registry version ``node`` was parsed against
    shapes: dict[tuple[Any, ...], set[Subscription]] = field(default_factory=dict)

    def add(self, sub: Subscription) -> None:
        self.shapes.setdefault(sub.shape, set()).add(sub)

    def discard(self, sub: Subscription) -> None:
        subs = self.shapes.get(sub.shape)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.shapes[sub.shape]

    def refresh(self, registry: Any) -> None:
        """Parse ``where`` again after a schema change (a field added since may now match)."""
        if registry.version == self.version:
            return
        self.version = registry.version
        try:
            self.node = parse_where(self.class_name, self.where, registry)
        except ParseError:
            self.node = ir.FALSE

    def matches(self, row: dict[str, Any] | None) -> bool:
        return row is not None and matches(self.node, row)


@dataclass(eq=False, slots=True)
class Subscription:
    request_id: int | float
    identity: Identity
    op: str  # the CLP operation: "get" for a query on one objectId, else "find" (Parse's rule)
    keys: tuple[str, ...] | None
    watch: tuple[str, ...] | None
    envelope: Envelope
    send: Callable[[bytes], None]
    base_url: str
    client_ip: str | None = None  # the connection's peer, named in the ledger's disclosure entries
    group: Group | None = None
    last_seq: int = 0  # the last change this subscription was offered (no duplicates on resume)
    heads: dict[str, bytes] = field(default_factory=dict)  # event op → this subscriber's message head

    @property
    def shape(self) -> tuple[Any, ...]:
        """What decides this subscriber's event for a change, besides the group's query."""
        return (self.identity, self.op, self.keys, self.watch, self.base_url)

    def head(self, op: str) -> bytes:
        found = self.heads.get(op)
        if found is None:
            found = self.heads[op] = self.envelope.event_head(op, self.request_id)
        return found

    def watch_changed(self, original: dict[str, Any] | None, current: dict[str, Any] | None) -> bool:
        if self.watch is None:
            return True
        before, after = original or {}, current or {}
        return any(before.get(f) != after.get(f) for f in self.watch)


def clp_operation(where: dict[str, Any]) -> str:
    return "get" if len(where) == 1 and isinstance(where.get("objectId"), str) else "find"


def group_key(class_name: str, where: dict[str, Any]) -> bytes:
    return class_name.encode() + b"\x00" + orjson.dumps(where, option=orjson.OPT_SORT_KEYS)
