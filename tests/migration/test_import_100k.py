"""A 100,000-object Back4app export imported on each database within a minute: every object
stored with its ledger entry, the relation's members, and a re-run that adds nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import bcrypt

from chartkeep.migration.dump import read_folder
from chartkeep.migration.importer import run
from chartkeep.storage import rows

USERS, PATIENTS, RESULTS = 1_000, 20_000, 79_000  # + 1 role = 100,001 objects
LIMIT_SECONDS = 60


def _export(folder: Path) -> Path:
    folder.mkdir()
    hashed = bcrypt.hashpw(b"pw-100k", bcrypt.gensalt(4)).decode()
    stamp = {"_created_at": {"$date": "2022-01-01T00:00:00.000Z"}, "_updated_at": {"$date": "2022-06-01T00:00:00.000Z"}}

    def lines(name: str, docs: Any) -> None:
        with (folder / name).open("w") as out:
            for doc in docs:
                out.write(json.dumps(doc) + "\n")

    lines("_User.json", ({"_id": f"u{i:05d}", "username": f"user{i}", "role": "nurse", "_hashed_password": hashed,
                          "_rperm": ["*"], "_wperm": [f"u{i:05d}"], **stamp} for i in range(USERS)))
    lines("_Role.json", [{"_id": "ward1", "name": "Ward1", "_rperm": ["*"], "_wperm": [], **stamp}])
    lines("_Join:users:_Role.json", ({"owningId": "ward1", "relatedId": f"u{i:05d}"} for i in range(USERS)))
    lines("Patient.json", ({"_id": f"p{i:06d}", "mrn": f"MRN-{i}", "fullName": f"Patient {i}", "status": "active",
                            "dateOfBirth": {"$date": "1980-01-01T00:00:00.000Z"},
                            "_p_primaryClinician": f"_User$u{i % USERS:05d}", "_rperm": ["role:Ward1"],
                            "_wperm": ["role:Ward1"], **stamp} for i in range(PATIENTS)))
    lines("LabResult.json", ({"_id": f"l{i:06d}", "_p_patient": f"Patient$p{i % PATIENTS:06d}", "value": i / 10,
                              "code": "HBA1C", "_rperm": ["role:Ward1"], "_wperm": [], **stamp} for i in range(RESULTS)))
    return folder


async def test_100k_objects_import_within_a_minute(core: Any, tmp_path: Path) -> None:
    dump = read_folder(_export(tmp_path / "export"))
    assert dump.total() == USERS + 1 + PATIENTS + RESULTS
    started = time.monotonic()
    report = await run(core, dump)
    elapsed = time.monotonic() - started
    assert report.written and not report.errors and not report.findings
    assert elapsed < LIMIT_SECONDS, f"{dump.total()} objects took {elapsed:.1f} s"
    async with core.db.read() as conn:
        counts = {name: await rows.count(conn, name) for name in ("Patient", "LabResult")}
        assert counts == {"Patient": PATIENTS, "LabResult": RESULTS}
        assert len(await rows.relation_ids(conn, "_Role", "users", "ward1")) == USERS
        assert (await rows.fetch(conn, core.registry.get("LabResult"), "l078999"))["patient"] == "p018999"
        entries = await conn.fetchval("SELECT count(*) FROM \"_Audit\" WHERE \"eventType\" = 'import'")
    assert entries == dump.total() + 1  # one per object, and one naming the role's members
    again = await run(core, dump)
    assert sum(c.new for c in again.classes.values()) == 0 and again.relations == 0
