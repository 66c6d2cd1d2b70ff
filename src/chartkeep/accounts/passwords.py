"""Password hashing: argon2id for new hashes; bcrypt hashes exported from Parse still verify.

Parameters: OWASP's argon2id recommendation (19 MiB, 2 iterations, 1 lane) — about 20 ms of one
core per hash, comparable to the bcrypt cost 10 Parse Server uses. Hashes made with other
parameters (or bcrypt) are re-hashed at the next successful login. Hashing runs on a small
dedicated thread pool (half the cores, at least one), so a burst of logins queues there instead of
taking every core from the requests being served.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_pool = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="password-hash")


def _hash(password: str) -> str:
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    if stored.startswith("$2"):  # bcrypt, as Parse Server and Back4app export them
        try:
            return bcrypt.checkpw(password.encode(), stored.encode())
        except ValueError:
            return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, _hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, stored, password)


def needs_rehash(stored: str) -> bool:
    return stored.startswith("$2") or _hasher.check_needs_rehash(stored)
