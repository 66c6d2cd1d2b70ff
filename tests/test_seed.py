"""``chartkeep seed``: a demo clinic with every note and signature state, through the real rules."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from chartkeep.cli import app
from chartkeep.demo.run import already_seeded, seed
from tests.audit.helpers import check


async def _counts(core: Any, sql: str) -> dict[str, int]:
    async with core.db.read() as conn:
        return {r[0]: int(r[1]) for r in await conn.fetch(sql)}


async def test_seed_builds_every_state_and_an_intact_ledger(core) -> None:  # type: ignore[no-untyped-def]
    assert not await already_seeded(core)
    steps: list[str] = []
    await seed(core, patients=8, bh_patients=2, progress=lambda what, n: steps.append(what))
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


def test_the_first_seed_prints_the_generated_master_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = ["seed", "--patients", "1", "--bh-patients", "1", "--data-dir", str(tmp_path),
            "--database-url", f"sqlite:///{tmp_path}/c.db"]
    first = CliRunner().invoke(app, args)
    key = (tmp_path / "master.key").read_text().strip()
    assert first.exit_code == 0 and key in first.output.replace("\n", ""), first.output
    again = CliRunner().invoke(app, [*args, "--if-empty"])
    assert again.exit_code == 0 and key not in again.output and "nothing done" in again.output
