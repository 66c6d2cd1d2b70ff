"""Where checkpoints are shipped besides the database: a file of JSON lines and a webhook.

A copy the database's users cannot reach is what makes a deleted checkpoint noticeable (``audit
verify --checkpoints FILE`` reads a file sink back). A sink that fails is logged and skipped: the
checkpoint is stored in the database either way, and the next one is shipped again.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import httpx
import orjson

from chartkeep.audit.checkpoint import Checkpoint
from chartkeep.settings import Settings

log = logging.getLogger("chartkeep.audit.sinks")
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def to_file(path: Path, checkpoint: Checkpoint) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as out:
        out.write(orjson.dumps(checkpoint.record()) + b"\n")
        out.flush()
        os.fsync(out.fileno())


async def to_webhook(url: str, checkpoint: Checkpoint) -> None:
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
        answer = await client.post(url, content=orjson.dumps(checkpoint.record()),
                                   headers={"Content-Type": "application/json"})
        answer.raise_for_status()


async def ship(settings: Settings, checkpoint: Checkpoint) -> list[str]:
    """Send ``checkpoint`` to every configured sink; the failures, as sentences."""
    failures = []
    if settings.ledger_checkpoint_file is not None:
        try:
            to_file(settings.ledger_checkpoint_file, checkpoint)
        except OSError as exc:
            failures.append(f"file sink {settings.ledger_checkpoint_file}: {exc}")
    if settings.ledger_checkpoint_webhook:
        try:
            await to_webhook(settings.ledger_checkpoint_webhook, checkpoint)
        except httpx.HTTPError as exc:
            failures.append(f"webhook sink {settings.ledger_checkpoint_webhook}: {exc!r}")
    for failure in failures:
        log.warning("ledger checkpoint %s not shipped to the %s", checkpoint.id, failure)
    return failures
