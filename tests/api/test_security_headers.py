"""Headers and origins: nosniff and no-store on API answers, a CSP on every HTML page, HSTS when
configured, CORS limited to ``allowed_origins``, the master key never accepted cross-origin."""

from __future__ import annotations

from typing import Any

from tests.audit.helpers import entries_after, head
from tests.conftest import APP_ID, Api


async def test_api_answers_carry_nosniff_and_no_store(api: Api, core: Any) -> None:
    user = await api.signup("ada")
    for r in (await api.get("/users/me", session=user["sessionToken"]),
              await api.get("/classes/Patient", session=user["sessionToken"]),
              await api.get("/classes/Patient", session="r:wrong"),
              await api.client.post("/graphql", json={"query": "{ health }"}, headers=api.headers())):
        assert r.headers["x-content-type-options"] == "nosniff", r.url
        assert r.headers["cache-control"] == "no-store", r.url
    assert "strict-transport-security" not in r.headers  # off unless the server is behind TLS
    core.settings.hsts_seconds = 31536000
    r = await api.get("/health")
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_every_html_page_has_a_csp(api: Api) -> None:
    r = await api.client.get(f"/parse/apps/{APP_ID}/request_password_reset", params={"token": "x", "username": "y"},
                             headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_cors_follows_allowed_origins_and_never_allows_the_master_key_header(api: Api, core: Any) -> None:
    preflight = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    r = await api.client.options("/parse/classes/Patient", headers=preflight)
    assert r.headers["access-control-allow-origin"] == "*"  # Parse's default: any origin
    assert "x-parse-master-key" not in r.headers["access-control-allow-headers"].lower()
    assert "x-parse-session-token" in r.headers["access-control-allow-headers"].lower()

    core.settings.allowed_origins = ["https://portal.example"]
    r = await api.client.options("/parse/classes/Patient", headers=preflight)
    assert (r.headers["access-control-allow-origin"], r.headers["vary"]) == ("https://portal.example", "Origin")
    r = await api.client.options("/parse/classes/Patient", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await api.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await api.client.post("/graphql", json={"query": "{ health }"},
                              headers={**api.headers(), "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


async def test_master_key_from_another_origin_is_refused_and_recorded(api: Api, core: Any) -> None:
    seq = await head(core)
    # the JS SDK's simple request: text/plain JSON with _MasterKey needs no preflight
    body = f'{{"_ApplicationId":"{APP_ID}","_MasterKey":"test-master","_method":"GET"}}'
    r = await api.client.post("/parse/classes/_User", content=body,
                              headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    r = await api.get("/classes/_User", master=True, headers={"Origin": "https://evil.example"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    r = await api.client.post("/graphql", json={"query": "{ health }"},
                              headers={**api.headers(master=True), "Origin": "https://evil.example"})
    assert r.status_code == 403
    assert [e[0] for e in await entries_after(core, seq)] == ["auth_failed"] * 3
    # the server's own origin (a page it serves) and non-browser clients (no Origin) keep the master key
    r = await api.get("/classes/_User", master=True, headers={"Origin": "http://testserver"})
    assert r.status_code == 200, r.text
    assert (await api.get("/classes/_User", master=True)).status_code == 200


async def test_behind_a_proxy_the_public_url_is_the_servers_own_origin(api: Api, core: Any) -> None:
    core.settings.public_url = "https://ehr.example.org/parse"
    core.settings.allowed_origins = ["https://portal.example"]
    r = await api.get("/classes/_User", master=True, headers={"Origin": "https://ehr.example.org"})
    assert r.status_code == 200, r.text
    r = await api.get("/health", headers={"Origin": "https://ehr.example.org"})
    assert r.headers["access-control-allow-origin"] == "https://ehr.example.org"
    r = await api.get("/classes/_User", master=True, headers={"Origin": "https://ehr.example.org.evil.test"})
    assert r.status_code == 403


async def test_master_key_origins_admits_only_the_listed_admin_console(api: Api, core: Any) -> None:
    console = "http://127.0.0.1:4040"
    core.settings.master_key_origins = [console + "/"]
    preflight = {"Origin": console, "Access-Control-Request-Method": "POST"}
    r = await api.client.options("/parse/classes/Patient", headers=preflight)
    assert "x-parse-master-key" in r.headers["access-control-allow-headers"].lower()
    r = await api.client.options("/parse/classes/Patient", headers={**preflight, "Origin": "https://evil.example"})
    assert "x-parse-master-key" not in r.headers["access-control-allow-headers"].lower()
    body = f'{{"_ApplicationId":"{APP_ID}","_MasterKey":"test-master","_method":"GET"}}'
    r = await api.client.post("/parse/classes/_User", content=body,
                              headers={"Content-Type": "text/plain", "Origin": console})
    assert r.status_code == 200, r.text
    r = await api.get("/classes/_User", master=True, headers={"Origin": "http://127.0.0.1:4041"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    core.settings.master_key_ips = ["10.0.0.0/8"]  # a listed origin does not lift the IP rule
    r = await api.get("/classes/_User", master=True, headers={"Origin": console})
    assert r.status_code == 403
