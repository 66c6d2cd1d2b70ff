"""``chartkeep import`` on both databases: a Back4app (MongoDB) export and a Parse REST export.

What a user notices after moving: the same objectIds and dates, pointers and relations, ACLs that
let the same people (and roles, through the hierarchy) read the same records, the old password
logging in (and rehashed to argon2id), the photo downloadable, signed signatures with their content
hash, one ``import`` ledger entry per record, rules broken reported and marked — and a re-run,
``--dry-run`` or a ``--strict`` refusal changing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from chartkeep.clinical.signature_check import verify_signatures
from chartkeep.migration.dump import read_folder
from chartkeep.migration.importer import run
from chartkeep.storage import rows
from tests.conftest import Api
from tests.migration.exports import OLD_PASSWORD, PHOTO, PHOTO_NAME, mongo_export, rest_export

RECORDS = {"_User": ["u1", "u2", "u3"], "_Role": ["r1", "r2"], "Patient": ["p1"], "LabResult": ["lr1"],
           "MedicalNote": ["n1", "n2"], "NoteVersion": ["v1"], "Signature": ["s1"]}


async def _count(core: Any, class_name: str) -> int:
    async with core.db.read() as conn:
        return await rows.count(conn, class_name)


async def _import_entries(api: Api) -> list[dict[str, Any]]:
    r = await api.get("/classes/AuditEvent", master=True, params={
        "where": json.dumps({"eventType": "import"}), "limit": "1000", "keys": "targetClass,targetId,details"})
    return r.json()["results"]


async def _login(api: Api, username: str) -> str:
    r = await api.post("/login", {"username": username, "password": OLD_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["sessionToken"]


async def test_a_back4app_export_moves_in_whole(core: Any, api: Api, tmp_path: Path) -> None:
    dump = read_folder(mongo_export(tmp_path / "export"))
    report = await run(core, dump)
    assert report.written and not report.errors
    assert {n: c.new for n, c in report.classes.items()} == {n: len(ids) for n, ids in RECORDS.items()}
    assert report.skipped_classes == {"_Session": 1}
    assert report.merged_roles == {"r3": (await api.get("/roles", master=True, params={
        "where": json.dumps({"name": "admin"})})).json()["results"][0]["objectId"]}
    assert sorted((f.class_name, f.object_id, f.rule) for f in report.findings) == [
        ("MedicalNote", "n2", "signed-note-signature"), ("_User", "u2", "required")]
    assert (report.files, report.missing_files) == (1, [])

    # ids, dates, pointers, numbers, the File and the ACL, exactly as they were
    p1 = (await api.get("/classes/Patient/p1", master=True)).json()
    assert {k: p1[k] for k in ("objectId", "createdAt", "updatedAt", "mrn", "dateOfBirth", "primaryClinician",
                               "legacyChartNo", "ACL")} == {
        "objectId": "p1", "createdAt": "2021-04-01T10:00:00.123Z", "updatedAt": "2021-04-02T10:00:00.456Z",
        "mrn": "MRN-9001", "dateOfBirth": {"__type": "Date", "iso": "1970-01-02T00:00:00.000Z"},
        "primaryClinician": {"__type": "Pointer", "className": "_User", "objectId": "u1"}, "legacyChartNo": 991,
        "ACL": {"u1": {"read": True, "write": True}, "role:Cardiology": {"read": True}}}
    assert p1["photo"]["name"] == PHOTO_NAME
    photo = await api.client.get(urlparse(p1["photo"]["url"])._replace(scheme="", netloc="").geturl())
    assert (photo.status_code, photo.content) == (200, PHOTO)
    lab = (await api.get("/classes/LabResult/lr1", master=True)).json()
    assert (lab["value"], lab["takenAt"]["iso"], lab["flags"]) == (7.25, "2021-05-06T07:08:09.010Z", ["high"])

    # old passwords log in, and the bcrypt hash becomes argon2id
    async with core.db.read() as conn:
        assert (await rows.field_value(conn, "_User", "u1", "_hashed_password")).startswith("$2b$")
    u1 = await _login(api, "drsmith")
    async with core.db.read() as conn:
        assert (await rows.field_value(conn, "_User", "u1", "_hashed_password")).startswith("$argon2id$")
    assert (await api.post("/login", {"username": "drsmith", "password": "wrong"})).json()["code"] == 101
    # roles and their hierarchy: u1 is in Cardiology, which Doctors includes; u3 is in neither
    assert (await api.get("/classes/LabResult/lr1", session=u1)).status_code == 200
    u3 = await _login(api, "visitor")
    assert (await api.get("/classes/LabResult/lr1", session=u3)).json()["code"] == 101
    assert (await api.get("/classes/LabResult", session=u3)).json() == {"results": []}
    # members of an imported role named like Chartkeep's join Chartkeep's role
    admins = (await api.get("/roles", master=True, params={"where": json.dumps({"name": "admin"})})).json()
    members = await api.get("/users", master=True, params={"where": json.dumps({"$relatedTo": {
        "object": {"__type": "Pointer", "className": "_Role", "objectId": admins["results"][0]["objectId"]},
        "key": "users"}})})
    assert "u2" in [u["objectId"] for u in members.json()["results"]]

    # the signed signature got the hash of what it signed; audit verify agrees
    async with core.db.read() as conn:
        assert await verify_signatures(core, conn) == {"checked": 1, "mismatches": []}

    # one ledger entry per record, naming the import; rules broken are in the entry
    entries = await _import_entries(api)
    records = [(e["targetClass"], e["targetId"]) for e in entries if e["targetClass"] in RECORDS
               and "relation" not in e["details"] and "(users" not in e["details"] and "(roles" not in e["details"]]
    assert sorted(records) == sorted((c, i) for c, ids in RECORDS.items() for i in ids)
    assert all(e["details"].startswith(f"imported by {report.import_id} from ") for e in entries)
    n2 = next(e for e in entries if e["targetId"] == "n2")
    assert n2["details"].endswith("; imported breaking signed-note-signature (a signed MedicalNote has a signed "
                                  "Signature)")

    # a re-run adds nothing: no row, no entry
    before = len(await _import_entries(api))
    again = await run(core, read_folder(tmp_path / "export"))
    assert {n: (c.new, c.present) for n, c in again.classes.items()} == {
        **{n: (0, len(ids)) for n, ids in RECORDS.items()}, "_Role": (0, 3)}  # r3: Chartkeep's admin
    assert (again.relations, again.files) == (0, 0)
    assert len(await _import_entries(api)) == before


async def test_dry_run_and_strict_write_nothing(core: Any, api: Api, tmp_path: Path) -> None:
    dump = read_folder(mongo_export(tmp_path / "export"))
    users, entries = await _count(core, "_User"), len(await _import_entries(api))
    dry = await run(core, dump, dry_run=True)
    assert not dry.written and dry.classes["Patient"].new == 1 and len(dry.findings) == 2
    strict = await run(core, dump, strict=True)
    assert strict.refused and not strict.written
    assert await _count(core, "_User") == users
    assert core.registry.get("LabResult") is None  # not even the new class
    assert (await api.get("/classes/Patient/p1", master=True)).status_code == 404
    assert len(await _import_entries(api)) == entries


async def test_a_value_its_field_cannot_hold_stops_the_import(core: Any, api: Api, tmp_path: Path) -> None:
    folder = mongo_export(tmp_path / "export")
    lines = (folder / "Patient.json").read_text().replace('"MRN-9001"', "12345")
    (folder / "Patient.json").write_text(lines)
    report = await run(core, read_folder(folder))
    assert report.refused and not report.written
    assert report.errors == ["Patient p1: schema mismatch for Patient.mrn; expected String but got Number"]
    assert (await api.get("/classes/_User/u1", master=True)).status_code == 404


async def test_the_parse_rest_shape(core: Any, api: Api, tmp_path: Path) -> None:
    folder = mongo_export(tmp_path / "export")
    rest_export(folder)  # Patient.json replaced by the REST shape
    report = await run(core, read_folder(folder))
    assert read_folder(folder).shapes["Patient.json"] == "rest"
    assert report.written and report.classes["Patient"].new == 1
    got = (await api.get("/classes/Patient/rp1", master=True)).json()
    assert {k: got[k] for k in ("createdAt", "updatedAt", "dateOfBirth", "primaryClinician", "ACL")} == {
        "createdAt": "2020-02-03T04:05:06.007Z", "updatedAt": "2020-02-04T04:05:06.007Z",
        "dateOfBirth": {"__type": "Date", "iso": "1906-12-09T00:00:00.000Z"},
        "primaryClinician": {"__type": "Pointer", "className": "_User", "objectId": "u1"},
        "ACL": {"role:Cardiology": {"read": True, "write": True}}}
    assert (report.files, report.missing_files) == (0, [])  # no object names the photo any more


async def test_what_the_database_would_refuse_half_way_stops_it_first(core: Any, api: Api, tmp_path: Path) -> None:
    taken = await api.post("/users", {"username": "DrSmith", "password": "Another-pass-9", "role": "patient"})
    assert taken.status_code == 201, taken.text
    folder = mongo_export(tmp_path / "export")
    with (folder / "LabResult.json").open("a") as out:
        out.write((folder / "LabResult.json").read_text())  # lr1 twice
    users_before = await _count(core, "_User")
    report = await run(core, read_folder(folder))
    assert report.refused and not report.written
    assert report.errors == ["LabResult lr1: the objectId appears twice in the export",
                             f"_User u1: username drsmith is taken by {taken.json()['objectId']}"]
    assert await _count(core, "_User") == users_before
    assert core.registry.get("LabResult") is None
