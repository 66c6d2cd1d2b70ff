"""How many bytes a value costs once written out, near enough, and the answer-size budget.

``json_size`` walks a value iteratively (no recursion: nesting costs no stack) and counts its text
plus a fixed ``VALUE_COST`` per key, value and container — about what its JSON takes, and an
upper bound of what Python holds beyond shared strings. The LiveQuery resume window counts its
events with it; reads, ``/batch`` and GraphQL count their answers with ``Budget`` so an answer
that would pass ``max_response_bytes`` is refused (116, naming the limit) before it is written out.
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError

VALUE_COST = 16


def json_size(value: Any) -> int:
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        total += VALUE_COST
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return total


class Budget:
    """Bytes an answer may still take; ``spend`` raises once it is over (0: no limit)."""

    def __init__(self, limit: int, what: str = "The answer") -> None:
        self.limit = limit
        self.spent = 0
        self.what = what

    def add(self, value: Any) -> None:
        """Count ``value`` without refusing it (an answer that must be given: a write that happened)."""
        if self.limit:
            self.spent += json_size(value)

    def spend(self, value: Any) -> None:
        if not self.limit:
            return
        self.spent += json_size(value)
        if self.spent > self.limit:
            raise ParseError(
                Code.OBJECT_TOO_LARGE,
                f"{self.what} would be larger than {self.limit} bytes (max_response_bytes): ask for fewer rows "
                "(limit), fields (keys) or included objects (include).",
            )
