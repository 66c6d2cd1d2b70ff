"""Cloud Code for the export tests that stop servers mid-job: a ``before_find`` on Encounter that
holds every Encounter query while the file ``closed`` exists in the directory named by
``EXPORT_TEST_GATE`` (a process started by the test inherits it), after leaving ``held-<pid>``
there; and ``whoami`` (which process answered a connection)."""

import asyncio
import os
from pathlib import Path

from chartkeep import cloud

GATE = os.environ.get("EXPORT_TEST_GATE")


@cloud.define("whoami")
async def whoami(req):
    return os.getpid()


@cloud.before_find("Encounter")
async def hold_encounters(req):
    if not GATE or not (Path(GATE) / "closed").exists():
        return
    (Path(GATE) / f"held-{os.getpid()}").touch()
    for _ in range(1200):  # at most a minute
        if not (Path(GATE) / "closed").exists():
            return
        await asyncio.sleep(0.05)
