"""The docs tell the truth: every setting and CLI command is documented, every file or module a doc
names exists, and every page under docs/ is linked from the README (a new one without a link, or a
module renamed without its docs, fails here). The CHANGELOG is checked too: its history names a
module that is gone in words, not by a path that no longer resolves."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from typer.main import get_command

from chartkeep.cli import app
from chartkeep.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
CHANGELOG = ROOT / "CHANGELOG.md"
PAGES = [README, *DOCS, CHANGELOG]

# Where a path a doc names may be relative to: the repository, src/, the package (docs say
# `records/commit.py` for src/chartkeep/records/commit.py) and bench/ (the benchmark's package).
BASES = (ROOT, ROOT / "src", ROOT / "src" / "chartkeep", ROOT / "bench")
# What a first start or an install creates: named by the README, never in a fresh clone.
MADE_AT_RUN_TIME = ("data", ".venv", "node_modules")
PATH_SUFFIXES = (".py", ".md", ".sh", ".toml", ".json", ".mjs", ".js", ".txt", ".cfg", ".yml", ".yaml")
PATH_SUFFIXES_BARE = {s[1:] for s in PATH_SUFFIXES} | {"css", "html", "pdf", "png", "db", "key", "log", "tsv", "csv"}

LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
PY_FILE = re.compile(r"(?<![\w/.@-])((?:\.?[\w-]+/)*[\w-]+\.py)(?![\w/])")
DOTTED = re.compile(r"(?<![\w/.@\"'-])chartkeep(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?")  # not a "string"
# `package/module.name`: a name in a module, by the module's path (`files/store.open_download`)
PATH_DOT_NAME = re.compile(r"^((?:[\w-]+/)+[\w-]+)\.([A-Za-z_]\w*)$")
MEDIA_TYPES = ("application", "text", "image", "audio", "video", "font", "model", "multipart", "message")
REPO_PATH = re.compile(r"^(?:\./)?[\w.-]+(?:/[\w.-]+)*/?$")


def _exists(path: str) -> bool:
    path = path.removeprefix("./")
    return any((base / path).exists() for base in BASES)


_FILE_NAMES: set[str] | None = None


def _file_names() -> set[str]:
    global _FILE_NAMES
    if _FILE_NAMES is None:
        _FILE_NAMES = {
            p.name for top in ("src", "tests", "bench", "scripts") for p in (ROOT / top).rglob("*") if p.is_file()
        }
    return _FILE_NAMES


# ---- what a page names --------------------------------------------------------------------------------


def local_links(text: str) -> list[str]:
    """Markdown link targets that are files of this repository (no URL, no bare #anchor)."""
    out = []
    for target in LINK.findall(text):
        if "://" in target or target.startswith(("#", "mailto:")):
            continue
        out.append(target.split("#", 1)[0])
    return out


def backticked_paths(text: str) -> list[str]:
    """`code` spans that name a file or folder of the repository: a path with a file suffix, a
    folder (trailing /), or a path under an existing top-level folder or package (`api/rest`).
    URLs, URL paths (/parse), content types (text/plain) and what a first start creates are not."""
    out = []
    for token in CODE.findall(text):
        token = token.strip()
        if "/" not in token or "://" in token or token.startswith("/") or not REPO_PATH.match(token):
            continue
        first = token.removeprefix("./").split("/", 1)[0]
        if first in MADE_AT_RUN_TIME:
            continue
        looks_like_path = (
            token.endswith("/")
            or token.endswith(PATH_SUFFIXES)
            or any((base / first).is_dir() for base in BASES)
        )
        if looks_like_path:
            out.append(token)
    return out


def module_names(text: str) -> list[str]:
    """Python modules a page names: file paths (`src/chartkeep/x/y.py`, `records/commit.py`,
    `supervisor.py`), dotted names (`chartkeep.records.commit`, `chartkeep.cli:main`) and, in
    `code`, a module's path with a name in it (`files/store.open_download` → `files/store.py`)."""
    by_path = []
    for token in CODE.findall(text):
        found = PATH_DOT_NAME.match(token.strip())
        if found and found.group(1).split("/")[0] not in MEDIA_TYPES and found.group(2) not in PATH_SUFFIXES_BARE:
            by_path.append(found.group(1) + ".py")
    return PY_FILE.findall(text) + DOTTED.findall(text) + by_path


# ---- what does not exist --------------------------------------------------------------------------


def missing_links(page: Path, text: str) -> list[str]:
    return [t for t in local_links(text) if t and not (page.parent / t).exists()]


def missing_paths(text: str) -> list[str]:
    return [t for t in backticked_paths(text) if not _exists(t)]


def _dotted_exists(name: str) -> bool:
    """A module, or a name defined in one (``chartkeep.cli:main``, ``chartkeep.cli.main``)."""
    dotted, _, attr = name.partition(":")
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        rel = Path(*parts[:cut])
        if (ROOT / "src" / rel).with_suffix(".py").is_file() or (ROOT / "src" / rel / "__init__.py").is_file():
            rest = parts[cut:] + ([attr] if attr else [])
            if not rest:
                return True
            obj: object = importlib.import_module(".".join(parts[:cut]))
            for part in rest:
                if not hasattr(obj, part):
                    return False
                obj = getattr(obj, part)
            return True
    return False


def missing_modules(text: str) -> list[str]:
    out = []
    for name in module_names(text):
        if name.endswith(".py"):
            ok = _exists(name) if "/" in name else name in _file_names()
        else:
            ok = _dotted_exists(name)
        if not ok:
            out.append(name)
    return out


# ---- the checks ---------------------------------------------------------------------------------


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"`{name}`" in text, f"setting {name} missing from docs/configuration.md"
        assert f"`CHARTKEEP_{name.upper()}`" in text
        assert f"`--{name.replace('_', '-')}`" in text


def test_every_cli_command_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    commands = get_command(app).commands  # type: ignore[attr-defined]
    assert commands
    for name in commands:
        assert f"`chartkeep {name}`" in text, f"command {name} missing from docs/configuration.md"


def test_readme_names_the_two_commands() -> None:
    readme = README.read_text()
    assert "bash scripts/serve.sh" in readme and "bash scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def test_readme_links_and_paths_exist() -> None:
    text = README.read_text()
    assert local_links(text) and backticked_paths(text), "the checks below would check nothing"
    assert not missing_links(README, text), "README links to files that do not exist"
    assert not missing_paths(text), "README names files or folders that do not exist"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_module_a_doc_names_exists(page: Path) -> None:
    text = page.read_text()
    assert not missing_modules(text), f"{page.name} names modules that do not exist"
    assert not missing_links(page, text), f"{page.name} links to files that do not exist"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t).resolve() for t in local_links(README.read_text())}
    assert DOCS
    unlinked = [p.name for p in DOCS if p.resolve() not in linked]
    assert not unlinked, f"docs pages the README does not link to: {unlinked}"


def test_no_file_cites_a_design_document_that_is_not_in_the_repo() -> None:
    """Code and docs once cited sections of a design file kept outside the repository; they say
    what they mean instead, or link a page of docs/ (docs/architecture.md is the design record)."""
    design = re.compile("DESIGN" + r"(?:\.md|\s*§|\s+section)")
    files = [*PAGES, ROOT / "pyproject.toml"]
    for top in ("src", "tests", "bench", "scripts", ".ci"):
        files += [p for p in (ROOT / top).rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".json", ".sh", "")
                  and not {"node_modules", "results", "__pycache__"} & set(p.parts)
                  and not any(part.endswith(".egg-info") for part in p.parts)]
    cited = [str(p.relative_to(ROOT)) for p in files if design.search(p.read_text(errors="replace"))]
    assert cited == [], f"files citing a design document that is not in the repo: {cited}"


# ---- the checks can fail -------------------------------------------------------------------------


def test_the_checks_catch_what_they_are_for() -> None:
    """Each check on a page that is wrong in the way it looks for: they are not vacuous."""
    assert missing_links(README, "see [the guide](docs/no-such-page.md#top)") == ["docs/no-such-page.md"]
    assert missing_links(README, "[ok](docs/architecture.md) [web](https://example.org/x.md)") == []
    assert missing_paths("run `scripts/no-such.sh`; code in `services/`, `api/restful` and `records/`") == [
        "scripts/no-such.sh", "services/", "api/restful"]
    assert missing_paths("`/parse`, `text/plain`, `ws://host/parse`, `./data`, `DATA_DIR/master.key`") == []
    assert missing_modules(
        "`src/chartkeep/services/writes.py`, records/gone.py, `care/labels.py`, supervisor.py, nowhere.py, "
        "chartkeep.services.audit, chartkeep.records.commit.insert, chartkeep.cli:main, chartkeep.cli:nope, "
        "mail invited1@demo.chartkeep.test, logger \"chartkeep.mail\", `services/files.open_download`, "
        "`files/store.open_download`, `application/vnd.ms-excel`, `docs/architecture.md`"
    ) == ["src/chartkeep/services/writes.py", "records/gone.py", "nowhere.py", "chartkeep.services.audit",
          "chartkeep.cli:nope", "services/files.py"]
