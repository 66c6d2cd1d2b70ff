"""Parse's date text: ISO-8601, UTC, millisecond precision (``2024-01-02T03:04:05.678Z``)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(value: datetime) -> str:
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp; naive values are taken as UTC. Raises ValueError."""
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    if value.microsecond % 1000:
        value = value.replace(microsecond=(value.microsecond // 1000) * 1000)
    return value


def now_ms() -> datetime:
    value = datetime.now(UTC)
    return value.replace(microsecond=(value.microsecond // 1000) * 1000)
