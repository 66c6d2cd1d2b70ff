"""Every setting and CLI command is documented (a new one without docs fails here)."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from chartkeep.cli import app
from chartkeep.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


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
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/serve.sh" in readme and "bash scripts/test.sh" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
