"""Identifiers in Parse's shapes: 10-character objectIds, ``r:``-prefixed session tokens."""

from __future__ import annotations

import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


_SPAN = len(_ALPHABET) ** 10
_LIMIT = (2**64 // _SPAN) * _SPAN  # 64 random bits below this are uniform modulo _SPAN


def new_object_id(size: int = 10) -> str:
    """``size`` characters drawn uniformly from letters and digits (one 64-bit draw for the usual
    10: a bulk import makes one per ledger entry)."""
    if size != 10:
        return "".join(secrets.choice(_ALPHABET) for _ in range(size))
    while True:
        n = int.from_bytes(secrets.token_bytes(8), "big")
        if n < _LIMIT:
            break
    n %= _SPAN
    out = []
    for _ in range(size):
        n, digit = divmod(n, len(_ALPHABET))
        out.append(_ALPHABET[digit])
    return "".join(out)


def new_session_token() -> str:
    return "r:" + secrets.token_hex(16)


def token_digest(token: str) -> str:
    """Sessions are stored by SHA-256 of the token, so a database copy holds no live tokens."""
    return hashlib.sha256(token.encode()).hexdigest()
