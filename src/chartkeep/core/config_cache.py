"""Parse Config (``GET /config``) kept in memory: every app launch asks for it.

The stored row (``_GlobalConfig`` ``"1"``, schema_admin/config.py) is read once and reused until it
changes. A change through this process drops the copy when its transaction commits (a hook on
``_GlobalConfig``, whichever path wrote it) and tells the other server processes through ``tell``
(the Redis bus, core/peers.py: ``["config"]``); the on-commit queue awaits that notice, so the
``PUT /config`` is answered only once every process will read the new config.
``config_cache_seconds`` bounds how long another process may serve the old one while Redis is
unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from chartkeep.core.session_cache import Tell


@dataclass(frozen=True, slots=True)
class StoredConfig:
    params: dict[str, Any] = field(default_factory=dict)
    master_key_only: dict[str, bool] = field(default_factory=dict)
    exists: bool = False  # a config was ever saved (Parse answers {"params": {}} until then)


class ConfigCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._entry: tuple[float, StoredConfig] | None = None
        self._generation = 0  # bumped by every drop: a read that raced a change is not kept
        self.tell: Tell | None = None  # set when other processes must hear of drops

    @property
    def generation(self) -> int:
        return self._generation

    def get(self) -> StoredConfig | None:
        if self._entry is None:
            return None
        deadline, config = self._entry
        if time.monotonic() >= deadline:
            self._entry = None
            return None
        return config

    def put(self, config: StoredConfig, generation: int) -> None:
        """Keep ``config`` read at ``generation``, unless a change was dropped in since."""
        if self.ttl > 0 and generation == self._generation:
            self._entry = (time.monotonic() + self.ttl, config)

    def drop(self, *, tell: bool = True) -> Awaitable[None] | None:
        self._entry = None
        self._generation += 1
        return self.tell(["config"]) if tell and self.tell is not None else None
