"""Who may reach the API, and from where: browser origins (CORS, LiveQuery sockets), the master key's
IPs and origins, HSTS, the metrics token (docs/security.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chartkeep.settings.values import CommaList


class SecuritySettings(BaseModel):
    allowed_origins: CommaList = Field(
        default_factory=lambda: ["*"],
        description="Browser origins (scheme://host:port, comma-separated) allowed to call the API through CORS "
        "and to open LiveQuery WebSockets; * allows any (Parse's default). The server's own origin is always "
        "allowed; the master key is never accepted from another origin (docs/security.md).",
    )
    master_key_origins: CommaList = Field(
        default_factory=list,
        description="Browser origins (scheme://host:port, comma-separated; no *) from which the master key is "
        "accepted, e.g. the Parse Dashboard page an admin opens (docs/dashboard.md). Empty (the default): the "
        "master key is never accepted from a page of another origin. master_key_ips still applies.",
    )
    hsts_seconds: int = Field(
        0, ge=0, description="When above 0, every answer carries Strict-Transport-Security with this max-age: set it "
        "when clients reach the server over HTTPS (directly or through a TLS-terminating proxy), e.g. 31536000.",
    )
    metrics_token: str | None = Field(
        None, description="A token a Prometheus scraper sends as 'Authorization: Bearer <token>' to read GET /metrics "
        "(the master key from master_key_ips is accepted too)."
    )
    master_key_ips: CommaList = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Client IPs (or CIDR ranges) allowed to use the master key.",
    )
