"""The first hour, as a new user meets it: the README's two commands and its walk-through.

* ``bash scripts/serve.sh --database-url postgresql://…`` seeds and serves THAT database (its
  arguments reach ``chartkeep seed`` as well as ``chartkeep serve``), and the banner lists the
  URLs and how to print the master key again;
* the README's curl walk-through runs word for word against ``bash scripts/serve.sh`` on SQLite —
  only the port is moved, so a developer's own server on 1337 is left alone.

Both run the real script (it installs nothing new into an installed ``.venv``) with the settings
that keep it off the developer's ``./data``: a data directory and a port of the test's own.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import PG_URL, private_pg_schema
from tests.processes import ROOT, free_port, stop

DEMO_PASSWORD = "Demo-pass-2026"
STARTUP_SECONDS = 300  # pip's check, the npm packages if missing, seeding the demo clinic


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTKEEP_")}
    return {**env, **extra}


@contextmanager
def serve_script(tmp: Path, *args: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``bash scripts/serve.sh ARGS`` (it execs ``chartkeep serve``, so the process is the server)."""
    log_path = tmp / "serve-script.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(["bash", "scripts/serve.sh", *args], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            yield proc, log_path
        finally:
            stop(proc, 30)


def _wait_healthy(proc: subprocess.Popen[bytes], log: Path, port: int) -> None:
    import time

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"scripts/serve.sh exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/parse/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"scripts/serve.sh did not serve within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


def _banner(log: Path) -> str:
    return re.sub(r"\s+", " ", log.read_text())


async def test_serve_script_seeds_the_database_it_serves(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # the trap of old: a demo already in the default SQLite made seeding say "already present"
    # while the PostgreSQL database named on the command line was served empty
    pre = subprocess.run([str(ROOT / ".venv" / "bin" / "chartkeep"), "seed", "--data-dir", str(data),
                          "--patients", "1", "--bh-patients", "1"], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert pre.returncode == 0, pre.stdout + pre.stderr
    assert (data / "chartkeep.db").is_file()
    async with private_pg_schema() as url:
        port = free_port()
        with serve_script(tmp_path, "--database-url", url, "--data-dir", str(data), "--port", str(port),
                          env=_env()) as (proc, log):
            _wait_healthy(proc, log, port)
            banner = _banner(log)
            assert "Demo clinic: 40 EHR patients" in banner and "already present" not in banner, banner
            assert f"database: {url}" in banner
            assert f"GraphQL API: http://127.0.0.1:{port}/graphql (" in banner, banner
            # the served database has the demo: its admin logs in
            login = httpx.post(f"http://127.0.0.1:{port}/parse/login",
                               json={"username": "admin", "password": DEMO_PASSWORD},
                               headers={"X-Parse-Application-Id": "chartkeep"})
            assert login.status_code == 200, login.text
            # and the banner says how to print the master key the first seed generated
            command = re.search(r"print it with: (\S+ master-key --data-dir \S+)", banner)
            assert command, banner
            printed = subprocess.run(command.group(1).split(), cwd=ROOT, env=_env(), capture_output=True, text=True)
            assert printed.stdout.strip() == (data / "master.key").read_text().strip()
        schema = url.split("search_path=")[1]
        conn = await asyncpg.connect(PG_URL)
        try:
            notes = await conn.fetchval(f'SELECT COUNT(*) FROM "{schema}"."MedicalNote"')
        finally:
            await conn.close()
        assert notes > 40


def _walkthrough(port: int) -> str:
    """The README's walk-through and GraphQL blocks, in order, as one script (only the port moved)."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A walk through"):readme.index("## Layout")]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 2, "the walk-through and its GraphQL block"
    return "\n".join(blocks).replace("127.0.0.1:1337", f"127.0.0.1:{port}")


def test_readme_walkthrough_runs_word_for_word(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = _env(CHARTKEEP_PORT=str(port), CHARTKEEP_DATA_DIR=str(data))
    with serve_script(tmp_path, env=env) as (proc, log):  # `bash scripts/serve.sh`, as the README says
        _wait_healthy(proc, log, port)
        # "at the top of the checkout": here a folder of the test's own, so lab.pdf lands there
        work = tmp_path / "checkout"
        work.mkdir()
        (work / ".venv").symlink_to(ROOT / ".venv")
        (work / "walkthrough.sh").write_text(_walkthrough(port))
        done = subprocess.run(["bash", "-eo", "pipefail", "walkthrough.sh"], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert '"code":' not in out, f"a Parse error: {out}"
    assert "downloaded the same bytes" in out
    assert (work / "lab-copy.pdf").read_bytes().startswith(b"%PDF-")
    assert '"status":"amended"' in out  # the note went draft → under_review → signed → amended
    assert '{"data":{"patient":{"mrn":"MRN-0001","fullName":"Ada Lovelace"}' in out and '"errors"' not in out
