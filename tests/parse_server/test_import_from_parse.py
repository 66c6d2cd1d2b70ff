"""``chartkeep import --from postgresql://…``: a real Parse Server 9 (npm, pinned in
tests/parse_server/package.json) writes its own PostgreSQL database through its REST API — users
signed up with passwords, a role with members and a child role, objects with pointers, dates,
numbers, arrays, GeoPoints and ACLs naming users and roles — and Chartkeep imports that database:
the objects read back equal to what Parse Server answers, users log in with their Parse
passwords, role members and the hierarchy hold, one ledger entry per record."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from chartkeep.migration.importer import run
from chartkeep.migration.parse_postgres import read_database
from tests.conftest import PG_URL, Api, pg_available, require_service
from tests.processes import answering, free_port, stop

HERE = Path(__file__).resolve().parent
APP, MASTER = "parse-source", "parse-source-master"  # also the round trip's (test_export_to_parse.py)
PASSWORD = "Parse-era-pass-7"


def installed() -> None:
    if shutil.which("node") is None:
        require_service("node is not installed: Parse Server cannot run")
    if not (HERE / "node_modules" / "parse-server").is_dir():
        if shutil.which("npm") is None:
            require_service("Parse Server is not installed and npm is missing (cd tests/parse_server && npm ci)")
        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=900)


@asynccontextmanager
async def parse_server(tmp: Path, custom_ids: bool = False) -> AsyncIterator[tuple[str, str]]:
    """(REST base URL, database URL) of a Parse Server on a database of its own, dropped afterwards."""
    require_service(await pg_available())
    name = "parse_" + secrets.token_hex(5)
    admin = await asyncpg.connect(PG_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    port = free_port()
    log = open(tmp / "parse-server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(["node", "server.js"], cwd=HERE, stdout=log, stderr=subprocess.STDOUT, env={
        **os.environ, "PORT": str(port), "DATABASE_URI": db_url, "APP_ID": APP, "MASTER_KEY": MASTER,
        "PARSE_SERVER_LOGS_FOLDER": str(tmp / "parse-logs"), "ALLOW_CUSTOM_OBJECT_ID": "1" if custom_ids else ""})  # never the checkout
    base = f"http://127.0.0.1:{port}/parse"
    try:
        await answering(f"{base}/health", proc, tmp / "parse-server.log", 60, "Parse Server")
        yield base, db_url
    finally:
        stop(proc)
        log.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _fill(base: str) -> dict[str, Any]:
    """What a Parse app wrote, through Parse Server's REST API."""
    master = {"X-Parse-Application-Id": APP, "X-Parse-Master-Key": MASTER}
    async with httpx.AsyncClient(base_url=base, headers=master, trust_env=False, timeout=30) as http:
        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = await http.post(path, json=body)
            assert r.status_code in (200, 201), r.text
            return r.json()

        cardio = await post("/users", {"username": "dr.cardio", "password": PASSWORD, "email": "c@example.org"})
        other = await post("/users", {"username": "dr.other", "password": PASSWORD})
        user_ptr = {"__type": "Pointer", "className": "_User", "objectId": cardio["objectId"]}
        ward = await post("/roles", {"name": "Cardiology", "ACL": {"*": {"read": True}},
                                     "users": {"__op": "AddRelation", "objects": [user_ptr]}})
        await post("/roles", {"name": "Doctors", "ACL": {"*": {"read": True}}, "roles": {"__op": "AddRelation",
               "objects": [{"__type": "Pointer", "className": "_Role", "objectId": ward["objectId"]}]}})
        vital = await post("/classes/Vital", {
            "pulse": 72, "spo2": 97.5, "takenAt": {"__type": "Date", "iso": "2024-05-06T07:08:09.010Z"},
            "takenBy": user_ptr, "tags": ["resting", "seated"], "site": {"__type": "GeoPoint", "latitude": 48.85,
                                                                         "longitude": 2.35},
            "extra": {"device": "oximeter"}, "ACL": {"role:Doctors": {"read": True}, cardio["objectId"]: {
                "read": True, "write": True}}})
        stored = (await http.get(f"/classes/Vital/{vital['objectId']}")).json()
        users = (await http.get("/users", params={"order": "username"})).json()["results"]
    return {"cardio": cardio["objectId"], "other": other["objectId"], "vital": stored, "users": users}


async def test_a_parse_server_database_moves_in(core: Any, api: Api, tmp_path: Path) -> None:
    installed()
    async with parse_server(tmp_path) as (base, db_url):
        wrote = await _fill(base)
        dump = await read_database(db_url)
    assert {"Vital", "_User", "_Role"} <= set(dump.classes), sorted(dump.classes)
    report = await run(core, dump)
    assert report.written and not report.errors, report.errors
    assert "_Session" not in report.classes  # sessions are never imported: users sign in again
    # the object as Parse Server answered it, field for field
    vital = (await api.get(f"/classes/Vital/{wrote['vital']['objectId']}", master=True)).json()
    assert vital == wrote["vital"]
    users = (await api.get("/users", master=True, params={"order": "username"})).json()["results"]
    chartkeep_users = {u["objectId"]: (u["username"], u["createdAt"], u["updatedAt"]) for u in users}
    assert all(chartkeep_users[u["objectId"]] == (u["username"], u["createdAt"], u["updatedAt"])
               for u in wrote["users"])
    # Parse passwords log in; the role hierarchy reads as before
    r = await api.post("/login", {"username": "dr.cardio", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cardio = r.json()["sessionToken"]
    assert (await api.get(f"/classes/Vital/{vital['objectId']}", session=cardio)).status_code == 200
    other = (await api.post("/login", {"username": "dr.other", "password": PASSWORD})).json()["sessionToken"]
    assert (await api.get(f"/classes/Vital/{vital['objectId']}", session=other)).json()["code"] == 101
    # one import entry per record
    entries = (await api.get("/classes/AuditEvent", master=True, params={
        "where": json.dumps({"eventType": "import", "targetId": vital["objectId"]})})).json()["results"]
    assert len(entries) == 1 and entries[0]["details"].startswith(f"imported by {report.import_id} from ")
