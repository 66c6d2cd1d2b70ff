"""Loading cloud code: a file or an importable module; a broken file stops start-up naming the file
and line; every worker of ``serve --workers N`` loads the same code."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from chartkeep.cloud.load import CloudLoadError, load
from tests.processes import MASTER, ROOT, need_redis, serve, unique_app_id
from tests.test_serving import workers_of

HERE = Path(__file__).resolve().parent


def test_a_file_or_a_module_loads_fresh_each_time() -> None:
    by_file = load(str(HERE / "clinic_cloud.py"))
    by_module = load("tests.cloud.clinic_cloud")
    assert "hello" in by_file.functions and set(by_module.functions) == set(by_file.functions)
    assert set(load("tests.cloud.clinic_cloud").functions) == set(by_file.functions)  # declared again, not cached
    assert {(t.kind, t.class_name) for t in by_file.triggers} >= {("before_save", "Patient"),
                                                                  ("after_save", "Patient")}


@pytest.mark.parametrize(("text", "line", "what"), [
    ("from chartkeep import cloud\n\n@cloud.define('x')\nasync def x(req)\n    return 1\n", 4, "expected ':'"),
    ("from chartkeep import cloud\n\nimport no_such_module_here\n", 3, "ModuleNotFoundError"),
    ("from chartkeep import cloud\n\n@cloud.define('x')\ndef a(req): ...\n@cloud.define('x')\ndef b(req): ...\n",
     5, "Cloud function x is defined twice"),
])
def test_a_broken_file_names_its_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "main.py"
    path.write_text(text)
    with pytest.raises(CloudLoadError) as caught:
        load(str(path))
    assert f"{path}, line {line}" in str(caught.value) and what in str(caught.value)


def test_no_such_file_or_module() -> None:
    with pytest.raises(CloudLoadError, match="no such file"):
        load("missing/main.py")
    with pytest.raises(CloudLoadError, match="no such file or importable module"):
        load("no_such_package_anywhere")


@pytest.mark.parametrize("workers", [[], ["--workers", "2", "--redis-url", "redis://127.0.0.1:6379/0"]])
def test_serve_stops_on_a_syntax_error_naming_the_file_and_line(tmp_path: Path, workers: list[str]) -> None:
    bad = tmp_path / "main.py"
    bad.write_text("from chartkeep import cloud\n\ndef broken(:\n    pass\n")
    argv = [sys.executable, "-m", "chartkeep", "serve", "--data-dir", str(tmp_path / "data"), "--port", "0",
            "--cloud", str(bad), *workers]
    done = subprocess.run(argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                          capture_output=True, text=True, timeout=120)
    out = " ".join((done.stdout + done.stderr).split())  # rich wraps long lines
    assert done.returncode == 2, out
    assert f"Cloud code {bad}, line 3: invalid syntax" in out, out
    assert "Traceback" not in out


async def test_every_worker_loads_the_same_cloud_code(tmp_path: Path) -> None:
    await need_redis()
    app_id = unique_app_id()
    url = f"sqlite:///{tmp_path}/cloud.db"
    with serve(tmp_path, "c", "--workers", "2", "--database-url", url, "--cloud", str(HERE / "pid_cloud.py"),
               app_id=app_id) as served:
        headers = {"X-Parse-Application-Id": app_id, "X-Parse-Master-Key": MASTER}
        answered: set[int] = set()
        for _ in range(600):
            if served.proc.poll() is not None:
                raise AssertionError(served.output()[-3000:])
            try:
                async with httpx.AsyncClient(timeout=10) as http:  # a fresh connection: spread by the kernel
                    r = await http.post(f"http://{served.host}/parse/functions/whoami", json={}, headers=headers)
                if r.status_code == 200:
                    answered.add(r.json()["result"])
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
            if len(answered) == 2:
                break
        workers = set(workers_of(served.proc.pid))
        assert len(workers) == 2 and answered == workers, (answered, workers, served.output()[-2000:])
