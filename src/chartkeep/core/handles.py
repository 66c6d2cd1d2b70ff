"""The handles every service needs, built once by ``create_app`` (app.py): the database, the class
registry, the settings, the caches, the hook registry, the ledger's appender, LiveQuery's feed and
the work requests leave running (a push's delivery)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chartkeep.audit.group import GroupAppender
from chartkeep.core.background import Background
from chartkeep.core.config_cache import ConfigCache
from chartkeep.core.feed import Feed
from chartkeep.core.hooks import Hooks
from chartkeep.core.quota import Quota
from chartkeep.core.role_cache import RoleCache
from chartkeep.core.session_cache import SessionCache
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema
from chartkeep.schema.registry import Registry
from chartkeep.settings import Settings
from chartkeep.storage.database import Database


@dataclass(slots=True)
class Core:
    db: Database
    registry: Registry
    settings: Settings
    roles: RoleCache = field(default_factory=lambda: RoleCache(0))
    hooks: Hooks[Core] = field(default_factory=Hooks)
    sessions: SessionCache = field(default_factory=lambda: SessionCache(0))
    live: Feed | None = None  # LiveQuery's bus (chartkeep.live); None: no events
    config: ConfigCache = field(default_factory=lambda: ConfigCache(0))  # Parse Config (GET /config)
    background: Background = field(default_factory=Background)
    audit_quota: Quota = field(default_factory=Quota)  # client-appended ledger rows per user (ledger/appends.py)
    ledger: GroupAppender = field(init=False)
    # what the last start-up found and left for a person to resolve (rows sharing a value a unique
    # index wants once: schema_admin/bootstrap.py), reported by `chartkeep init` and the server's log
    start_up_problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ledger = GroupAppender(self.db)

    def schema_or_404(self, class_name: str) -> ClassSchema:
        schema = self.registry.get(class_name)
        if schema is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        return schema
