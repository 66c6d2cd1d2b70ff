"""FHIR requests over the in-process app, and validation of every resource with ``fhir.resources``."""

from __future__ import annotations

from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class

from tests.conftest import MASTER_KEY, Api

FHIR_JSON = "application/fhir+json"


def validate(resource: dict[str, Any]) -> None:
    """The resource, and every resource inside a Bundle, parses as its R4B model."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        validate(entry["resource"])


async def fhir(api: Api, method: str, path: str, token: str | None = None, *, header: str = "bearer",
               master: bool = False, **kw: Any) -> httpx.Response:
    headers: dict[str, str] = dict(kw.pop("headers", {}))
    if token and header == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    elif token:
        headers["X-Parse-Session-Token"] = token
    if master:
        headers["X-Parse-Master-Key"] = MASTER_KEY
    if "json" in kw:
        headers["Content-Type"] = FHIR_JSON
    r = await api.client.request(method, "/fhir/R4" + path, headers=headers, **kw)
    assert r.headers["content-type"].startswith(FHIR_JSON), (r.status_code, r.text)
    validate(r.json())
    return r


async def get(api: Api, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
    return await fhir(api, "GET", path, token, **kw)


def issue(r: httpx.Response, status: int, code: str, text: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"][0]["code"] == code, body
    if text is not None:
        assert text in body["issue"][0]["diagnostics"], body


def ids(bundle: dict[str, Any], type_name: str | None = None) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])
            if type_name is None or e["resource"]["resourceType"] == type_name]
