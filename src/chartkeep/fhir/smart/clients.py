"""SMART apps an administrator registers (master key): a public app (PKCE only) or a confidential
one (PKCE and a client secret), each with the exact redirect URIs it may use and the scopes it may
be granted. The secret is shown once, at registration, and stored as a SHA-256 digest."""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import orjson

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir.smart import scopes
from chartkeep.ledger import entries as ledger
from chartkeep.schema.ids import token_digest
from chartkeep.storage.queries import smart as table

PUBLIC = "none"
CONFIDENTIAL = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    secret_digest: str | None
    redirect_uris: tuple[str, ...]
    scope: str

    @property
    def confidential(self) -> bool:
        return self.secret_digest is not None

    def secret_matches(self, secret: str | None) -> bool:
        return (self.secret_digest is not None and secret is not None
                and hmac.compare_digest(self.secret_digest, token_digest(secret)))


def _redirect_uri(value: Any) -> str:
    if not isinstance(value, str):
        raise ParseError(Code.INVALID_JSON, "redirect_uris must be a list of absolute URLs")
    parsed = urlparse(value)
    local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if parsed.fragment or not parsed.netloc or not (parsed.scheme == "https" or (parsed.scheme == "http" and local)):
        raise ParseError(Code.INVALID_JSON, f"redirect URI {value!r} must be https (http only on localhost) "
                                            "and carry no fragment")
    return value


async def register(core: Core, ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """RFC 7591's fields: ``client_name``, ``redirect_uris``, ``token_endpoint_auth_method``
    (``none`` for a public app, else a secret), ``scope`` (default: every scope served)."""
    if not ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Registering a SMART app needs the master key")
    name = body.get("client_name")
    uris = body.get("redirect_uris")
    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    scope = body.get("scope", " ".join(scopes.SUPPORTED))
    if not isinstance(name, str) or not name.strip():
        raise ParseError(Code.INVALID_JSON, "client_name is required")
    if not isinstance(uris, list) or not uris:
        raise ParseError(Code.INVALID_JSON, "redirect_uris must be a non-empty list of absolute URLs")
    checked = [_redirect_uri(u) for u in uris]
    if method != PUBLIC and method not in CONFIDENTIAL:
        raise ParseError(Code.INVALID_JSON, "token_endpoint_auth_method must be none, client_secret_basic "
                                            "or client_secret_post")
    if not isinstance(scope, str) or not scopes.grantable(scope, " ".join(scopes.SUPPORTED)):
        raise ParseError(Code.INVALID_JSON, f"scope must name some of: {' '.join(scopes.SUPPORTED)}")
    granted = " ".join(scopes.grantable(scope, " ".join(scopes.SUPPORTED)))
    client_id = "smart-" + secrets.token_urlsafe(12)
    secret = None if method == PUBLIC else secrets.token_urlsafe(32)
    async with core.db.transaction() as tx:
        await table.insert_client(tx, client_id, name.strip(), token_digest(secret) if secret else None,
                                  orjson.dumps(checked).decode(), granted, time.time())
        kind = "public" if secret is None else "confidential"
        await ledger.record(core, tx, [ledger.entry(ctx, "smart_client", target_class="_SmartClient",
                                                    target_id=client_id,
                                                    details=f"{kind} SMART app {name.strip()!r} registered")])
    out: dict[str, Any] = {"client_id": client_id, "client_name": name.strip(), "redirect_uris": checked,
                           "token_endpoint_auth_method": method, "scope": granted,
                           "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}
    if secret:
        out["client_secret"] = secret
    return out


async def find(core: Core, client_id: str | None) -> Client | None:
    if not client_id:
        return None
    async with core.db.read() as conn:
        row = await table.client(conn, client_id)
    if row is None:
        return None
    return Client(row["objectId"], row["name"], row["secret"], tuple(orjson.loads(row["redirectUris"])), row["scope"])
