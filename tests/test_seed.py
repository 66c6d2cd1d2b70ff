"""``chartkeep seed``: a demo clinic with every note and signature state, through the real rules."""

from __future__ import annotations

from typing import Any

import httpx
from typer.testing import CliRunner

from chartkeep.app import create_app
from chartkeep.cli import app
from chartkeep.demo.clinic import DEMO_PASSWORD
from chartkeep.demo.run import already_seeded, seed
from tests.audit.helpers import check
from tests.conftest import Api


async def _counts(core: Any, sql: str) -> dict[str, int]:
    async with core.db.read() as conn:
        return {r[0]: int(r[1]) for r in await conn.fetch(sql)}


async def test_seed_builds_every_state_and_an_intact_ledger(core) -> None:  # type: ignore[no-untyped-def]
    assert not await already_seeded(core)
    steps: list[str] = []
    await seed(core, patients=8, bh_patients=4, progress=lambda what, n: steps.append(what))
    assert await already_seeded(core)
    notes = await _counts(core, 'SELECT "status", COUNT(*) FROM "MedicalNote" GROUP BY 1')
    assert set(notes) == {"draft", "under_review", "signed", "amended"}, notes
    signatures = await _counts(core, 'SELECT "status", COUNT(*) FROM "Signature" GROUP BY 1')
    assert set(signatures) == {"requested", "signed", "declined"}, signatures
    events = await _counts(core, 'SELECT "eventType", COUNT(*) FROM "_Audit" GROUP BY 1')
    assert {"read", "create", "signature_request", "sign", "decline", "amend"} <= set(events), events
    assert (await check(core)).ok
    for table in ("PatientProfile", "Appointment", "IntakeAssessment", "Message", "Attachment", "_FileBlob"):
        assert (await _counts(core, f"SELECT 'n', COUNT(*) FROM \"{table}\""))["n"] > 0, table
    assert "staff" in steps and steps.count("EHR charts and notes") == 8
    await _portal_is_seeded(core)
    await _assessments_are_seeded(core)


async def _assessments_are_seeded(core: Any) -> None:
    """Every assessment scored by the server, most published; patient 4's positive item 9 opened a
    high-priority crisis log; patient 1 reads their published PHQ-9 in the portal."""
    scored = await _counts(core, 'SELECT "severity" IS NOT NULL, COUNT(*) FROM "IntakeAssessment" '
                                 'WHERE "data" IS NOT NULL GROUP BY 1')
    assert set(scored) == {True}, scored
    published = await _counts(core, 'SELECT "publishedAt" IS NOT NULL, COUNT(*) FROM "IntakeAssessment" GROUP BY 1')
    assert published.get(True) and published.get(False), published
    flagged = await _counts(core, 'SELECT "priority", COUNT(*) FROM "CrisisInterventionLog" '
                                  'WHERE "source" IS NOT NULL GROUP BY 1')
    assert flagged == {"high": 1}, flagged
    app = create_app(core.settings, core)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        api = Api(client)
        login = await api.post("/login", {"username": "patient1", "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        mine = (await api.get("/classes/IntakeAssessment", session=login.json()["sessionToken"])).json()["results"]
        assert mine and all(a["publishedAt"] and a["severity"] for a in mine), mine


async def _portal_is_seeded(core: Any) -> None:
    """Every clinician in the directory; invited patients log in and read their own profile; the
    psychotherapy note and the Part 2 log are restricted, and the note's grant is in place."""
    staff = (await _counts(core, 'SELECT "role", COUNT(*) FROM "_User" WHERE "role" IN '
                                 "('physician', 'nurse', 'scribe', 'provider') GROUP BY 1"))
    assert (await _counts(core, "SELECT 'n', COUNT(*) FROM \"ProviderProfile\""))["n"] == sum(staff.values())
    app = create_app(core.settings, core)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        api = Api(client)
        for n in (1, 2):
            login = await api.post("/login", {"username": f"invited{n}@demo.chartkeep.test", "password": DEMO_PASSWORD})
            assert login.status_code == 200, login.text
            mine = await api.get("/classes/PatientProfile", session=login.json()["sessionToken"])
            assert len(mine.json()["results"]) == 1
    labels = await _counts(core, 'SELECT "noteType", COUNT(*) FROM "MedicalNote" WHERE "securityLabels" IS NOT NULL '
                                 "AND \"noteType\" = 'psychotherapy' GROUP BY 1")
    assert labels == {"psychotherapy": 1}
    part2 = await _counts(core, "SELECT 'n', COUNT(*) FROM \"CrisisInterventionLog\" WHERE \"securityLabels\" IS NOT NULL")
    assert part2["n"] == 1
    assert (await _counts(core, "SELECT 'n', COUNT(*) FROM \"RecordGrant\""))["n"] == 1


def test_the_first_seed_prints_the_generated_master_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = ["seed", "--patients", "1", "--bh-patients", "1", "--data-dir", str(tmp_path),
            "--database-url", f"sqlite:///{tmp_path}/c.db"]
    first = CliRunner().invoke(app, args)
    key = (tmp_path / "master.key").read_text().strip()
    assert first.exit_code == 0 and key in first.output.replace("\n", ""), first.output
    again = CliRunner().invoke(app, [*args, "--if-empty"])
    assert again.exit_code == 0 and key not in again.output and "nothing done" in again.output
