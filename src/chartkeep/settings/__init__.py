"""Every setting, declared once. Read from ``CHARTKEEP_*`` environment variables and CLI flags.

The CLI builds its ``--flags`` from these fields and ``docs/configuration.md`` lists them; a test
fails when a field is missing from the docs.

One module per domain declares its settings on a mixin (``server.py``, ``security.py``,
``ledger.py``, ``sessions.py``, ``accounts.py``, ``care.py``, ``limits.py``, ``graphql.py``,
``files.py``, ``livequery.py``, ``devices.py``, ``fhir.py``, ``cloud.py``); ``Settings`` composes them into the
one pydantic-settings class every layer is handed.
"""

from __future__ import annotations

import os
import secrets

from pydantic_settings import BaseSettings, SettingsConfigDict

from chartkeep.settings.accounts import AccountSettings
from chartkeep.settings.care import CareSettings
from chartkeep.settings.cloud import CloudCodeSettings
from chartkeep.settings.devices import DeviceSettings
from chartkeep.settings.fhir import FhirSettings
from chartkeep.settings.files import DEFAULT_FILE_TYPES, FilesSettings
from chartkeep.settings.graphql import GraphQLSettings
from chartkeep.settings.ledger import LedgerSettings
from chartkeep.settings.limits import LimitsSettings
from chartkeep.settings.livequery import LiveQuerySettings
from chartkeep.settings.security import SecuritySettings
from chartkeep.settings.server import WORKER_INDEX, WORKER_SETTINGS, ServerSettings
from chartkeep.settings.sessions import SessionSettings
from chartkeep.settings.values import CommaList

__all__ = ["DEFAULT_FILE_TYPES", "WORKER_INDEX", "WORKER_SETTINGS", "CommaList", "Settings"]


# pydantic collects the fields from the last base to the first: the server's settings come first
# (in `chartkeep serve --help` too), Cloud Code's last.
class Settings(
    CloudCodeSettings,
    FhirSettings,
    DeviceSettings,
    LiveQuerySettings,
    FilesSettings,
    GraphQLSettings,
    LimitsSettings,
    CareSettings,
    AccountSettings,
    SessionSettings,
    LedgerSettings,
    SecuritySettings,
    ServerSettings,
    BaseSettings,
):
    model_config = SettingsConfigDict(env_prefix="CHARTKEEP_", extra="ignore")

    # files_key (settings/files.py) kept in data_dir (settings/server.py): here, where both are known
    def ensure_files_key(self) -> tuple[str, bool]:
        """The configured file secret, or the one kept in the data dir (created if absent)."""
        if self.files_key:
            return self.files_key, False
        path = self.data_dir / "files.key"
        if path.exists():
            self.files_key = path.read_text().strip()
            return self.files_key, False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n")
        path.chmod(0o600)
        self.files_key = key
        return key, True

    @classmethod
    def from_worker_env(cls) -> Settings:
        """The settings ``serve --workers`` resolved (generated keys included) for its processes."""
        import orjson

        raw = os.environ.get(WORKER_SETTINGS)
        if not raw:
            raise RuntimeError(f"{WORKER_SETTINGS} is not set: workers are started by `chartkeep serve --workers N`")
        return cls(**orjson.loads(raw))
