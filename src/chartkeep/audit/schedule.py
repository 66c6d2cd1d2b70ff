"""The periodic checkpoint: one task in one process (the only one, or worker 0 of ``serve
--workers``). Several servers on one database share the work: a checkpoint is skipped when another
process took one within half the interval."""

from __future__ import annotations

import asyncio
import logging

from chartkeep.audit.checkpoint import take
from chartkeep.audit.sinks import ship
from chartkeep.settings import Settings
from chartkeep.storage.database import Database

log = logging.getLogger("chartkeep.audit.checkpoint")


async def checkpoint_now(db: Database, settings: Settings, not_within_seconds: float = 0) -> None:
    checkpoint = await take(db, settings.resolved_signing_key(), not_within_seconds)
    if checkpoint is not None:
        await ship(settings, checkpoint)


async def run_periodically(db: Database, settings: Settings) -> None:
    interval = settings.ledger_checkpoint_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await checkpoint_now(db, settings, interval / 2)
        except asyncio.CancelledError:
            raise
        except Exception:  # the next tick tries again; the server keeps serving
            log.exception("ledger checkpoint failed")
