"""Parse's ``$relativeTime`` grammar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chartkeep.query.reltime import relative_time

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("now", timedelta(0)),
        ("NOW", timedelta(0)),
        ("3 days ago", -timedelta(days=3)),
        ("in 2 hrs", timedelta(hours=2)),
        ("in 1 year 2 wks", timedelta(days=365 + 14)),
        ("  5   mins   ago ", -timedelta(minutes=5)),
        ("in 1e1 secs", timedelta(seconds=10)),
        ("in -1 d", -timedelta(days=1)),
    ],
)
def test_relative_time(text: str, delta: timedelta) -> None:
    assert relative_time(text, NOW) == NOW + delta


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 days", "Time should either start with 'in' or end with 'ago'"),
        ("in 3 days ago", "Time cannot have both 'in' and 'ago'"),
        ("in 3", "Invalid time string. Dangling unit or number."),
        ("in 1.5 days", "'1.5' is not an integer."),
        ("in x days", "'x' is not an integer."),
        ("in 2 fortnights", "Invalid interval: 'fortnights'"),
        ("", "Time should either start with 'in' or end with 'ago'"),
    ],
)
def test_relative_time_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        relative_time(text, NOW)
    assert str(info.value) == message
