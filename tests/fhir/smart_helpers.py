"""A SMART app's side of a standalone launch, over the in-process app (the form driven with httpx)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.conftest import MASTER_KEY

REDIRECT = "https://app.example/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class App:
    client_id: str
    secret: str | None = None


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def register(client: httpx.AsyncClient, *, public: bool = True, scope: str | None = None) -> App:
    body: dict[str, Any] = {"client_name": "Chart viewer", "redirect_uris": [REDIRECT],
                            "token_endpoint_auth_method": "none" if public else "client_secret_basic"}
    if scope:
        body["scope"] = scope
    r = await client.post("/fhir/R4/auth/register", json=body, headers={"X-Parse-Master-Key": MASTER_KEY})
    assert r.status_code == 201, r.text
    return App(r.json()["client_id"], r.json().get("client_secret"))


def authorize_params(app: App, scope: str, verifier: str, base: str, **over: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT, "scope": scope,
            "state": "st-1", "aud": f"{base}/fhir/R4", "code_challenge": challenge(verifier),
            "code_challenge_method": "S256", **over}


async def sign_in(client: httpx.AsyncClient, params: dict[str, str], username: str, patient: str = "",
                  decision: str = "approve", password: str = "Long-enough-pw-1") -> httpx.Response:
    """Open the page with the app's parameters, then post the form back as a browser would."""
    page = await client.get("/fhir/R4/auth/authorize", params=params)
    assert page.status_code == 200, page.text
    assert "Content-Security-Policy" in page.headers
    form = {**params, "username": username, "password": password, "patient": patient, "decision": decision}
    return await client.post("/fhir/R4/auth/authorize", content=urlencode(form), headers=FORM)


def redirected(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def token(client: httpx.AsyncClient, app: App, **form: str) -> httpx.Response:
    auth = (app.client_id, app.secret) if app.secret else None
    if not app.secret:
        form = {"client_id": app.client_id, **form}
    return await client.post("/fhir/R4/auth/token", content=urlencode(form), headers=FORM, auth=auth)  # type: ignore[arg-type]


async def launch(client: httpx.AsyncClient, app: App, username: str, scope: str, base: str = "http://testserver",
                 patient: str = "") -> dict[str, Any]:
    """A whole standalone launch: the token response."""
    verifier = secrets.token_urlsafe(48)
    code = redirected(await sign_in(client, authorize_params(app, scope, verifier, base), username, patient))["code"]
    r = await token(client, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
                    code_verifier=verifier)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def audit_entries(core: Any) -> list[dict[str, Any]]:
    """Every ledger entry the server stored, oldest first (read straight from the database)."""
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "eventType", "targetClass", "targetId", "outcome", "details", "metadata", '
                                 '"actor" FROM "_Audit" ORDER BY "seq"')
    names = ("eventType", "targetClass", "targetId", "outcome", "details", "metadata", "actor")
    return [dict(zip(names, tuple(r), strict=True)) for r in found]
