"""What no field value may hold, checked before a write starts: NUL characters and over-long strings.

PostgreSQL text cannot hold NUL (U+0000), so a value carrying one is refused on both databases
with 111 rather than stored on one and a 500 on the other. A string over ``max_string_bytes``
(UTF-8) is refused with 142 naming the limit: a client cannot park megabytes in a field and have
them copied into every buffer that carries the change (LiveQuery's resume window, send buffers).
The walk is iterative, so nesting depth costs no stack.
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError


def check_body(body: dict[str, Any], max_string_bytes: int) -> None:
    """Refuse the first field whose value (at any depth, keys of nested objects included) breaks a rule."""
    for field, value in body.items():
        stack: list[Any] = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                check_string(field, item, max_string_bytes)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)


def check_string(field: str, text: str, max_string_bytes: int) -> None:
    if "\x00" in text:
        raise ParseError(Code.INCORRECT_TYPE, f"{field}: strings cannot contain NUL characters")
    # a str of n characters is at least n and at most 4n bytes in UTF-8: encode only when in doubt
    if max_string_bytes and len(text) * 4 > max_string_bytes and len(text.encode()) > max_string_bytes:
        raise ParseError(
            Code.VALIDATION_ERROR,
            f"{field}: a string value may be at most {max_string_bytes} bytes (max_string_bytes)",
        )
