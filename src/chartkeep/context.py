"""RequestContext: who is asking, decided once per request and passed to every service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RequestContext:
    app_id: str
    is_master: bool = False
    user: dict[str, Any] | None = None  # internal _User row (hidden columns stripped)
    session_token: str | None = None
    installation_id: str | None = None
    client_ip: str | None = None
    base_url: str = ""  # public URL of the Parse mount, e.g. http://host:1337/parse
    roles: tuple[str, ...] = ()
    read_roles: tuple[str, ...] = ()  # roles granted for reading only (break-the-glass)
    extra: dict[str, Any] = field(default_factory=dict)
    file_link: Callable[[str], str] | None = None  # file name -> signed download URL for this reader
    headers: dict[str, str] = field(default_factory=dict)  # HTTP headers, credentials removed (Cloud Code's req.headers)

    @property
    def user_id(self) -> str | None:
        return self.user["objectId"] if self.user else None

    def principals(self) -> list[str]:
        """ACL entries this request satisfies: ``*``, the user id, ``role:Name`` for each role."""
        out = ["*"]
        if self.user:
            out.append(self.user["objectId"])
        out.extend(f"role:{name}" for name in self.roles)
        return out

    @property
    def files_url(self) -> str:
        return f"{self.base_url}/files/{self.app_id}/"
