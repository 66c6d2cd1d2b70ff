"""Account emails (password reset, email verification) and the pluggable senders that deliver them.

The ``mail_sender`` setting names the sender:

* ``outbox`` (default): each mail becomes a row of the internal ``_Outbox`` table, listed by
  ``chartkeep outbox`` — for development, tests and deployments that relay mail themselves;
* ``log``: each mail is logged (logger ``chartkeep.mail``, level INFO);
* ``package.module:factory``: ``factory(settings)`` returns an object with
  ``async def send(self, mail: Mail) -> None`` (an SMTP or provider API client of your own).

Mails are handed to the sender only after the transaction that made their token commits, so a
refused request never sends one; a sender that fails is logged and does not undo the request.
"""

from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from chartkeep.core.handles import Core
from chartkeep.schema.ids import new_object_id
from chartkeep.settings import Settings
from chartkeep.storage.database import Conn, Database
from chartkeep.storage.queries import mail_outbox

log = logging.getLogger("chartkeep.mail")


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


class Sender(Protocol):
    async def send(self, mail: Mail) -> None: ...


class OutboxSender:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def send(self, mail: Mail) -> None:
        async with self.db.transaction() as tx:
            await mail_outbox.insert(tx, new_object_id(), mail.to, mail.subject, mail.text, time.time())


class LogSender:
    async def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.text)


def make_sender(settings: Settings, db: Database) -> Sender:
    name = settings.mail_sender
    if name == "outbox":
        return OutboxSender(db)
    if name == "log":
        return LogSender()
    module, _, attr = name.partition(":")
    if not module or not attr:
        raise ValueError(f"mail_sender must be outbox, log or module:factory, not {name!r}")
    factory: Any = getattr(importlib.import_module(module), attr)
    return factory(settings)


def send_after_commit(core: Core, conn: Conn, mail: Mail) -> None:
    """Deliver ``mail`` once ``conn``'s transaction has committed."""
    sender = make_sender(core.settings, core.db)

    async def deliver() -> None:
        try:
            await sender.send(mail)
        except Exception:  # noqa: BLE001 - a mail failure must not fail the committed request
            log.exception("sending mail to %s failed", mail.to)

    conn.on_commit(deliver)


def link_base(settings: Settings) -> str:
    """The Parse mount as users reach it: ``public_url``, else this server's own address.

    Never the request's Host header, which a client chooses (a reset link pointing elsewhere)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}{settings.mount_path.rstrip('/')}"


async def list_outbox(core: Core, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` mails of the outbox, oldest first."""
    async with core.db.read() as conn:
        return await mail_outbox.newest(conn, limit)
