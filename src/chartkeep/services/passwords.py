"""Password hashing: argon2id for new hashes; bcrypt hashes exported from Parse still verify."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    if stored.startswith("$2"):
        try:
            import bcrypt  # optional: only for hashes imported from Parse/Back4app
        except ImportError:  # pragma: no cover
            return False
        return bcrypt.checkpw(password.encode(), stored.encode())
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    return await asyncio.to_thread(_verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return stored.startswith("$2") or _hasher.check_needs_rehash(stored)
