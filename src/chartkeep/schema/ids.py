"""Identifiers in Parse's shapes: 10-character objectIds, ``r:``-prefixed session tokens."""

from __future__ import annotations

import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_object_id(size: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(size))


def new_session_token() -> str:
    return "r:" + secrets.token_hex(16)


def token_digest(token: str) -> str:
    """Sessions are stored by SHA-256 of the token, so a database copy holds no live tokens."""
    return hashlib.sha256(token.encode()).hexdigest()
