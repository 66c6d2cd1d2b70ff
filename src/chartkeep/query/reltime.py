"""``{"$lt": {"$relativeTime": "3 days ago"}}``: Parse Server's relative dates.

Grammar (Parse's ``Utils.relativeTimeToDate``): ``now``, ``in <n> <unit> [<n> <unit>...]`` or
``<n> <unit> [...] ago`` with integer ``n`` and units yr(s)/year(s), wk(s)/week(s), d/day(s),
hr(s)/hour(s), min(s)/minute(s), sec(s)/second(s); a year is 365 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

_SECONDS = {
    **dict.fromkeys(("yr", "yrs", "year", "years"), 31536000),
    **dict.fromkeys(("wk", "wks", "week", "weeks"), 604800),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("sec", "secs", "second", "seconds"), 1),
}


def _integer(token: str) -> int:
    try:
        return int(token)
    except ValueError:
        pass
    try:
        value = float(token)
    except ValueError:
        value = 0.5
    if not value.is_integer():
        raise ValueError(f"'{token}' is not an integer.")
    return int(value)


def relative_time(text: str, now: datetime) -> datetime:
    """The instant ``text`` names relative to ``now``; ValueError with Parse's explanation."""
    text = text.lower()
    parts = text.split()
    future = bool(parts) and parts[0] == "in"
    past = bool(parts) and parts[-1] == "ago"
    if not future and not past and text != "now":
        raise ValueError("Time should either start with 'in' or end with 'ago'")
    if future and past:
        raise ValueError("Time cannot have both 'in' and 'ago'")
    parts = parts[1:] if future else parts[:-1]
    if len(parts) % 2 and text != "now":
        raise ValueError("Invalid time string. Dangling unit or number.")
    seconds = 0
    for number, unit in zip(parts[::2], parts[1::2], strict=True):
        value = _integer(number)
        if unit not in _SECONDS:
            raise ValueError(f"Invalid interval: '{unit}'")
        seconds += value * _SECONDS[unit]
    delta = timedelta(seconds=seconds)
    return now + delta if future else now - delta
