"""``chartkeep import`` as a person runs it: the report, ``--dry-run``, ``--strict``'s exit code,
a re-run, and the folder that is not an export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.migration.exports import mongo_export
from tests.processes import ROOT


def _chartkeep(tmp: Path, *args: str, command: str = "import") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "chartkeep", command, *args, "--database-url",
                           f"sqlite:///{tmp}/cli.db", "--data-dir", str(tmp / "data")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_import_command_reports_and_refuses(tmp_path: Path) -> None:
    folder = str(mongo_export(tmp_path / "export"))
    strict = _chartkeep(tmp_path, folder, "--strict")
    assert strict.returncode == 1, strict.stderr
    assert "(--strict: nothing imported)" in strict.stdout
    assert "  MedicalNote n2: signed-note-signature: a signed MedicalNote has a signed Signature" in strict.stdout
    assert "  _User u2: required: role is required" in strict.stdout
    dry = _chartkeep(tmp_path, folder, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "(dry run: nothing written)" in dry.stdout
    assert "  Patient: 1 read, 1 would import, 0 already present; new fields: legacyChartNo, photo" in dry.stdout
    done = _chartkeep(tmp_path, folder)
    assert done.returncode == 0, done.stderr
    assert "  LabResult: 1 read, 1 imported, 0 already present (new class); new fields:" in done.stdout
    assert "  _Session: 1 not imported (Parse Server's own state)" in done.stdout
    assert "  relation members added: 4; files stored: 1" in done.stdout
    assert "(imported, marked in the ledger)" in done.stdout
    assert "Importing Patient" in done.stderr  # the progress bar
    again = _chartkeep(tmp_path, folder)
    assert "  Patient: 1 read, 0 imported, 1 already present" in again.stdout
    assert "  relation members added: 0; files stored: 0" in again.stdout
    missing = _chartkeep(tmp_path, str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    # and back out, in the MongoDB shape: the imported objects, the relations, the photo
    out = _chartkeep(tmp_path, str(tmp_path / "out"), "--format", "mongo", command="export")
    assert out.returncode == 0, out.stderr
    assert "LabResult 1" in out.stdout and "Patient 1" in out.stdout and "files: 1" in out.stdout
    assert '"_p_patient":"Patient$p1"' in (tmp_path / "out" / "LabResult.json").read_text()
    bad = _chartkeep(tmp_path, str(tmp_path / "out2"), "--format", "csv", command="export")
    assert bad.returncode == 2 and "--format one of rest, mongo" in bad.stderr
