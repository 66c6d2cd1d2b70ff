"""Helpers of the account tests: the outbox, links in mails, TOTP codes, row counts."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp

from chartkeep.accounts.mail import list_outbox

SECRET = pyotp.random_base32(32)


async def outbox(core: Any) -> list[dict[str, Any]]:
    return await list_outbox(core, 100)


def link_in(mail: dict[str, Any]) -> str:
    return next(line for line in mail["text"].splitlines() if line.startswith("http"))


def link_params(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def totp(secret: str = SECRET, steps_ahead: int = 0) -> str:
    """The code of the current 30 s step (or one of the next, still inside the accepted window)."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30 * steps_ahead)


async def count(core: Any, table: str, where: str = "") -> int:
    async with core.db.read() as conn:
        return int(await conn.fetchval(f'SELECT COUNT(*) FROM "{table}" {where}'))


SENT: list[Any] = []


class _Collecting:
    async def send(self, mail: Any) -> None:
        if mail.to.startswith("fail"):
            raise OSError("relay down")
        SENT.append(mail)


def collecting_sender(settings: Any) -> _Collecting:
    """A ``mail_sender = "tests.api.accounts:collecting_sender"`` plug-in."""
    return _Collecting()
