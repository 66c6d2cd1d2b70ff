"""Leaving Chartkeep: ``chartkeep export`` loaded into a fresh, real Parse Server 9 works with the
same SDK app. A Back4app-shaped export is imported into Chartkeep, exported back out, loaded into
Parse Server (objectIds kept, roles, relations, ACLs; the MongoDB-shaped export's bcrypt hashes set
in Parse Server's database, as an operator would), and the official Parse JS SDK reads it back:
values and pointers as they were, the old password logs in, the role hierarchy grants what it did."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from chartkeep.migration import exporter
from chartkeep.migration.dump import read_folder
from chartkeep.migration.importer import run
from tests.conftest import require_service
from tests.migration.exports import OLD_PASSWORD, mongo_export
from tests.parse_server.test_import_from_parse import APP, HERE, MASTER, installed, parse_server

SDK = HERE.parent / "sdk" / "node_modules" / "parse"
LOADED = ("_User", "_Role", "Patient", "LabResult")  # what the SDK app reads back


def _results(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["results"]


async def _load(base: str, db_url: str, rest: Path, mongo: Path) -> None:
    """The export into Parse Server: fields through /schemas, objects through /batch with their
    objectIds, users' bcrypt hashes into its database, relation members through AddRelation."""
    schemas = {s["className"]: s for s in _results(rest / "_SCHEMA.json")}
    master = {"X-Parse-Application-Id": APP, "X-Parse-Master-Key": MASTER}
    async with httpx.AsyncClient(base_url=base, headers=master, trust_env=False, timeout=60) as http:
        for name in LOADED:
            fields = {k: v for k, v in schemas[name]["fields"].items()
                      if k not in ("objectId", "createdAt", "updatedAt", "ACL") and v["type"] != "Relation"}
            fields = {k: {"type": v["type"], **({"targetClass": v["targetClass"]} if "targetClass" in v else {})}
                      for k, v in fields.items()}
            current = (await http.get(f"/schemas/{name}")).json()
            new = {k: v for k, v in fields.items() if k not in current.get("fields", {})}
            r = await (http.put if "fields" in current else http.post)(f"/schemas/{name}", json={"fields": new})
            assert r.status_code == 200, r.text
        for name in LOADED:
            path = {"_User": "/parse/users", "_Role": "/parse/roles"}.get(name, f"/parse/classes/{name}")
            requests = []
            for obj in _results(rest / f"{name}.json"):
                body = {k: v for k, v in obj.items() if k not in ("createdAt", "updatedAt")
                        and not (isinstance(v, dict) and v.get("__type") == "Relation")}
                if name == "_User":
                    body["password"] = "replaced-by-the-hash-below"
                requests.append({"method": "POST", "path": path, "body": body})
            r = await http.post("/batch", json={"requests": requests})
            assert all("success" in item for item in r.json()), r.text
        for join in rest.glob("_Join:*"):
            _, field, owner = join.name.removesuffix(".json").split(":")
            target = schemas[owner]["fields"][field]["targetClass"]
            for pair in _results(join):
                path = "/roles" if owner == "_Role" else f"/classes/{owner}"
                r = await http.put(f"{path}/{pair['owningId']}", json={field: {"__op": "AddRelation", "objects": [
                    {"__type": "Pointer", "className": target, "objectId": pair["relatedId"]}]}})
                if r.status_code != 200:  # a role only Chartkeep has (its seed roles): not loaded
                    assert r.json()["code"] == 101, r.text
    hashes = [json.loads(line) for line in (mongo / "_User.json").read_text().splitlines()]
    conn = await asyncpg.connect(db_url)
    try:
        for user in hashes:
            await conn.execute('UPDATE "_User" SET "_hashed_password" = $1 WHERE "objectId" = $2',
                               user.get("_hashed_password"), user["_id"])
    finally:
        await conn.close()


async def test_an_export_works_in_a_real_parse_server(core: Any, tmp_path: Path) -> None:
    installed()
    if not SDK.is_dir():
        require_service("the Parse JS SDK is not installed (cd tests/sdk && npm ci)")
    await run(core, read_folder(mongo_export(tmp_path / "back4app")))
    rest, mongo = tmp_path / "out-rest", tmp_path / "out-mongo"
    await exporter.run(core, rest, "rest")
    await exporter.run(core, mongo, "mongo")
    # only the roles the app made travel: Chartkeep's own seed roles stay behind
    roles = [r for r in _results(rest / "_Role.json") if r["name"] in ("Cardiology", "Doctors")]
    (rest / "_Role.json").write_text(json.dumps({"results": roles}))
    async with parse_server(tmp_path, custom_ids=True) as (base, db_url):
        await _load(base, db_url, rest, mongo)
        job = {"appId": APP, "masterKey": MASTER, "serverURL": base, "labId": "lr1", "username": "drsmith",
               "visitor": "visitor", "password": OLD_PASSWORD}
        done = subprocess.run(["node", str(HERE / "readback.mjs"), json.dumps(job)], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["lab"] == {"value": 7.25, "takenAt": "2021-05-06T07:08:09.010Z", "flags": ["high"],
                          "patientMrn": "MRN-9001", "acl": {"role:Doctors": {"read": True}}}
    assert got["loggedIn"] == "u1"
    assert got["readsLab"] == ["lr1"]  # through Doctors ⊃ Cardiology ∋ drsmith
    assert got["visitorReads"] == []
    assert got["cardiologyUsers"] == ["drsmith", "nurse.jo"]
