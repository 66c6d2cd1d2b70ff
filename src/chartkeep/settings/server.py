"""The server process: where it listens, what it serves, the keys and database it starts with."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import BaseModel, Field

from chartkeep.settings.values import CommaList

WORKER_SETTINGS = "CHARTKEEP_WORKER_SETTINGS"  # `serve --workers`: resolved settings for the workers
WORKER_INDEX = "CHARTKEEP_WORKER_INDEX"  # `serve --workers`: which worker a process is (0, 1, …)


class ServerSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(1337, description="TCP port of the HTTP server.")
    workers: int = Field(
        1, ge=1, description="Server processes sharing the port (docs/configuration.md, Several worker "
        "processes). More than 1 needs redis_url: LiveQuery events and cache invalidations travel through it."
    )
    app_id: str = Field("chartkeep", description="Parse application id clients must send.")
    master_key: str | None = Field(
        None,
        description="Parse master key. When unset, one is generated at first start and kept in "
        "DATA_DIR/master.key.",
    )
    rest_api_key: str | None = Field(
        None, description="Optional REST API key; when set, non-master requests must send it."
    )
    database_url: str | None = Field(
        None,
        description="sqlite:///relative.db, sqlite:////abs/path.db or postgresql://user@host:port/db. "
        "Default: SQLite at DATA_DIR/chartkeep.db.",
    )
    data_dir: Path = Field(Path("data"), description="Directory for the SQLite file and generated keys.")
    mount_path: str = Field("/parse", description="Where the Parse REST API is mounted.")
    public_url: str | None = Field(
        None, description="Public base URL of the API (used in Location headers and file URLs)."
    )
    templates: CommaList = Field(
        default_factory=lambda: ["ehr", "behavioral_health"],
        description="Seed templates loaded at init (comma-separated in env/flags).",
    )
    log_level: str = Field("info", description="Log level of the server.")
    production: bool = Field(
        False, description="Production mode: development aids are off (the GraphQL explorer page at GET "
        "graphql_path). Turn graphql_introspection off too if the schema should not be listable."
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chartkeep.db').as_posix()}"

    def ensure_master_key(self) -> tuple[str, bool]:
        """The configured master key, or the one kept in the data dir (created if absent)."""
        if self.master_key:
            return self.master_key, False
        path = self.data_dir / "master.key"
        if path.exists():
            self.master_key = path.read_text().strip()
            return self.master_key, False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n")
        path.chmod(0o600)
        self.master_key = key
        return key, True
