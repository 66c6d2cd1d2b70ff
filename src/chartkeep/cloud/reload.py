"""``cloud_reload`` (development): load the cloud file again when it changes.

Every second the modification times of the cloud file and the ``.py`` files next to it are
compared with the last ones seen. On a change the code is loaded again; if it loads, the user
hooks, functions and jobs of the previous version are dropped from the hook registry and the new
ones installed, in one step of the event loop (a request sees one version or the other, never a
mix; the built-in rules are never touched). If it does not load, the error is logged and the
previous version keeps running. A module name (rather than a file) is not watched.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from chartkeep.cloud import webhooks
from chartkeep.cloud.declare import Declarations
from chartkeep.cloud.install import clashes, install
from chartkeep.cloud.load import CloudLoadError, load
from chartkeep.core.handles import Core

log = logging.getLogger("chartkeep.cloud")


def _stamps(path: Path) -> dict[Path, float]:
    out = {}
    for found in [path, *path.parent.glob("*.py")]:
        try:
            out[found] = found.stat().st_mtime
        except OSError:
            continue
    return out


def swap(core: Core, new: Declarations) -> bool:
    """Replace the installed user code with ``new``; False (nothing changed) when it cannot be."""
    clash = clashes(core, new)
    if clash:
        log.error("cloud code not reloaded: function %s is one of Chartkeep's own", clash)
        return False
    core.hooks.clear_user()
    install(core, new)
    webhooks.add_trigger_hooks(core.hooks)  # after the file's own, as at start-up
    return True


async def watch(core: Core, interval: float = 1.0) -> None:
    source = core.settings.cloud
    if not source or not Path(source).is_file():
        log.warning("cloud_reload: %s is not a file; not watched", source)
        return
    path = Path(source)
    seen = _stamps(path)
    while True:
        await asyncio.sleep(interval)
        now = _stamps(path)
        if now == seen:
            continue
        seen = now
        try:
            found = load(source)
        except CloudLoadError as exc:
            log.error("cloud code not reloaded: %s", exc)
            continue
        if swap(core, found):
            log.warning("cloud code reloaded from %s", source)
