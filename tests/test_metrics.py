"""GET /metrics (issue 21, monitoring): Prometheus text for a scraper holding metrics_token or the
master key from master_key_ips, 403 for anyone else; requests, refusals and login failures are
counted; no patient data or id ever appears — against a real uvicorn server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from chartkeep import connections, metrics
from tests.conftest import APP_ID, MASTER_KEY
from tests.processes import chartkeep_in_loop

TOKEN = "scrape-7f3a9c"
MASTER = {"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY}


@pytest.fixture
async def base(tmp_path: Any, database_url: str) -> AsyncIterator[str]:
    async with chartkeep_in_loop(tmp_path, metrics_token=TOKEN, database_url=database_url) as port:
        yield f"http://127.0.0.1:{port}"


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name`` whose labels include ``labels`` (0 when absent)."""
    for line in text.splitlines():
        m = re.match(rf"{name}{{(.*)}} (\S+)$", line)
        if m and all(f'{k}="{v}"' in m.group(1) for k, v in labels.items()):
            return float(m.group(2))
    return 0.0


async def test_metrics_count_requests_refusals_and_failed_logins_without_naming_anyone(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        before = (await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
        created = await http.post("/parse/classes/Note", headers=MASTER,
                                  json={"title": "Jane Roe, MRN 884213", "body": "biopsy"})
        assert created.status_code == 201
        note_id = created.json()["objectId"]
        assert (await http.get(f"/parse/classes/Note/{note_id}", headers=MASTER)).status_code == 200
        refused = await http.get("/parse/classes/Note", headers=MASTER,
                                 params={"where": '{"title": {"$regex": "(a)\\\\1"}}'})
        assert refused.status_code == 400 and refused.json()["code"] == 102
        flood = "{ " + " ".join(f"a{i}: health" for i in range(301)) + " }"
        gql = await http.post("/graphql", headers={"X-Parse-Application-Id": APP_ID}, json={"query": flood})
        assert "exceeds the limit" in gql.text, gql.text
        login = await http.post("/parse/login", headers={"X-Parse-Application-Id": APP_ID},
                                json={"username": "jane.roe@example.org", "password": "wrong"})
        assert login.json() == {"code": 101, "error": "Invalid username/password."}
        scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = scraped.text
    assert value(text, "chartkeep_http_requests_total", worker="0", group="classes", status="2xx") - value(
        before, "chartkeep_http_requests_total", worker="0", group="classes", status="2xx") == 2
    assert value(text, "chartkeep_http_requests_total", group="classes", status="4xx") >= 1
    assert value(text, "chartkeep_http_request_seconds_count", group="login") >= 1
    assert value(text, "chartkeep_refusals_total", kind="regex") - value(before, "chartkeep_refusals_total",
                                                                          kind="regex") == 1
    assert value(text, "chartkeep_refusals_total", kind="graphql") - value(before, "chartkeep_refusals_total",
                                                                            kind="graphql") == 1
    assert value(text, "chartkeep_login_failures_total") - value(before, "chartkeep_login_failures_total") == 1
    assert value(text, "chartkeep_open_connections", worker="0") >= 1
    assert value(text, "chartkeep_ledger_append_seconds_count") >= 1
    assert value(text, "chartkeep_db_connections") >= 1  # PostgreSQL's pool, SQLite's readers
    assert "chartkeep_db_connections_in_use" in text and "chartkeep_livequery_subscriptions" in text
    assert "chartkeep_livequery_send_buffer_bytes" in text
    # nobody is named: no object id, no chart text, no user name
    for secret in (note_id, "Jane", "884213", "jane.roe", "Note"):
        assert secret not in text


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-the-token"}, {"Authorization": TOKEN},
    {"X-Parse-Master-Key": "wrong"}, {"X-Parse-Application-Id": APP_ID},
])
async def test_metrics_are_refused_without_the_token_or_master_key(base: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/metrics", headers=headers)
    assert answer.status_code == 403
    assert answer.json() == {"error": "unauthorized"}
    assert "chartkeep_" not in answer.text


async def test_the_master_key_from_master_key_ips_reads_metrics(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        answer = await http.get("/metrics", headers=MASTER)
    assert answer.status_code == 200 and "chartkeep_http_requests_total" in answer.text


def test_each_worker_labels_its_own_series_whenever_the_module_was_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    # a spawned worker imports chartkeep before the supervisor sets its index (serve --workers N)
    monkeypatch.setenv("CHARTKEEP_WORKER_INDEX", "3")
    metrics.login_failed()
    metrics.probe("chartkeep_open_connections", "test", lambda: 7)
    text = metrics.exposition().decode()
    assert 'chartkeep_login_failures_total{worker="3"} ' in text
    assert 'chartkeep_open_connections{worker="3"} 7.0' in text
    connections.ADMISSION.reset()
    metrics.probe("chartkeep_open_connections", "Open HTTP and WebSocket connections of this process.",
                  lambda: connections.ADMISSION.total)
