"""Changes ↔ bytes for the Redis bus. Internal rows are JSON except Date values (``datetime``,
only at the top level of a row), which travel as ISO strings named in a side list. Notices to the
other processes (core/peers.py) travel on the same channel as ``{"p": notice, "f": origin}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from chartkeep.core.feed import Change
from chartkeep.schema.dates import iso_ms, parse_iso


def _row_out(row: dict[str, Any] | None) -> list[Any] | None:
    if row is None:
        return None
    dates = [k for k, v in row.items() if isinstance(v, datetime)]
    return [{k: iso_ms(v) if isinstance(v, datetime) else v for k, v in row.items()}, dates]


def _row_in(packed: list[Any] | None) -> dict[str, Any] | None:
    if packed is None:
        return None
    row, dates = packed
    for key in dates:
        row[key] = parse_iso(row[key])
    return row


def encode_change(change: Change) -> bytes:
    return orjson.dumps(
        {"i": change.event_id, "c": change.class_name, "id": change.object_id,
         "o": _row_out(change.original), "n": _row_out(change.current)}
    )


def decode_change(data: bytes | str) -> Change:
    raw = orjson.loads(data)
    return Change(raw["c"], raw["id"], _row_in(raw["o"]), _row_in(raw["n"]), raw["i"])


def encode_notice(origin: str, notice: list[Any]) -> bytes:
    return orjson.dumps({"p": notice, "f": origin})


def decode(data: bytes | str) -> Change | tuple[str, list[Any]]:
    """A change, or a notice as ``(origin, notice)``."""
    raw = orjson.loads(data)
    if "p" in raw:
        return str(raw["f"]), list(raw["p"])
    return Change(raw["c"], raw["id"], _row_in(raw["o"]), _row_in(raw["n"]), raw["i"])
