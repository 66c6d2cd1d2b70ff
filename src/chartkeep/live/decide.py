"""Which event one subscriber gets for one change — Parse Server's rules, as a pure function.

Inputs per side (original = before the write, current = after it): does the object match the
subscription's query, and may the subscriber read it. A side "counts" when both hold.

    original counts, current counts   → update
    original counts only              → leave
    current counts only               → enter (create when there is no original)
    a deleted object that counted     → delete

Parse Server 9 never sends a state the subscriber may not read: on a leave caused by losing read
access the ``object`` is the last readable (original) state; on an enter caused by gaining it,
no ``original`` is sent. ``watch`` limits update and create events to changes of those fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    op: str
    object_from_original: bool = False  # the "object" body is the original state
    with_original: bool = False  # send the original state as "original"


UPDATE = Outcome("update", with_original=True)
CREATE = Outcome("create")
DELETE = Outcome("delete", object_from_original=True)


def decide(
    *,
    has_original: bool,
    has_current: bool,
    match_original: bool,
    match_current: bool,
    read_original: bool,
    read_current: bool,
    watch_changed: bool = True,
) -> Outcome | None:
    if not has_current:
        return DELETE if has_original and match_original and read_original else None
    before = has_original and match_original and read_original
    after = match_current and read_current
    if before and after:
        return UPDATE if watch_changed else None
    if before:
        current_shown = not match_current and read_current
        return Outcome("leave", object_from_original=not current_shown, with_original=True)
    if after:
        if not has_original:
            return CREATE if watch_changed else None
        return Outcome("enter", with_original=not match_original and read_original)
    return None
