"""The CLI's surface: each command shows the options it uses, and the master key can be printed again."""

from __future__ import annotations

from pathlib import Path

import click
from typer.main import get_command
from typer.testing import CliRunner

from chartkeep.cli import app
from chartkeep.settings import Settings

SERVER_FLAGS = {"--" + name.replace("_", "-") for name in Settings.model_fields}


def _flags(*path: str) -> set[str]:
    command: click.Command = get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return {opt for p in command.params for opt in p.opts if opt.startswith("--")} - {"--help"}


def test_each_command_shows_the_options_it_uses() -> None:
    database = {"--database-url", "--data-dir"}
    assert _flags("outbox") == {"--last", *database}
    assert _flags("audit", "verify") == {"--checkpoints", "--processes", "--ledger-signing-key", *database}
    assert _flags("audit", "checkpoint") == {"--ledger-signing-key", "--ledger-checkpoint-file",
                                             "--ledger-checkpoint-webhook", *database}
    assert _flags("audit", "export") == {"--from", "--to", "--sort", "--desc", "--format", "--output", *database}
    assert _flags("files", "rekey") == {"--files-key", "--files-key-id", "--files-old-keys", *database}
    assert _flags("messages", "purge") == {"--dry-run", "--message-retention-days", *database}
    assert _flags("master-key") == {"--data-dir"}
    # serve, init and seed take the whole server's settings: one argument list fits all three
    assert _flags("serve") == SERVER_FLAGS and _flags("init") == SERVER_FLAGS
    assert _flags("seed") == {"--patients", "--bh-patients", "--if-empty", *SERVER_FLAGS}
    help_text = CliRunner().invoke(app, ["outbox", "--help"], terminal_width=200).output
    assert "--database-url" in help_text and "--port" not in help_text and "--live-query" not in help_text


def test_the_master_key_is_printed_again_on_later_starts(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    db = ["--database-url", f"sqlite:///{tmp_path}/ck.db", "--data-dir", str(data)]
    none_yet = runner.invoke(app, ["master-key", "--data-dir", str(data)])
    assert none_yet.exit_code == 1 and "No master key" in none_yet.output and not data.exists()

    first = runner.invoke(app, ["init", *db], terminal_width=300)
    assert first.exit_code == 0, first.output
    key = (data / "master.key").read_text().strip()
    assert f"master key (generated, kept in {data / 'master.key'}): {key}" in first.output
    assert f"print it again later with: python -m chartkeep master-key --data-dir {data}" in first.output

    later = runner.invoke(app, ["init", *db], terminal_width=300)
    assert key not in later.output
    assert (f"master key: generated at first start, kept in {data / 'master.key'}; print it with: "
            f"python -m chartkeep master-key --data-dir {data}") in later.output

    printed = runner.invoke(app, ["master-key", "--data-dir", str(data)])
    assert printed.exit_code == 0 and printed.stdout == key + "\n"
    # a configured key is the one printed, and the banner says it is configured
    given = runner.invoke(app, ["master-key", "--data-dir", str(data)], env={"CHARTKEEP_MASTER_KEY": "from-env"})
    assert given.stdout == "from-env\n"
    configured = runner.invoke(app, ["init", *db, "--master-key", "given"], terminal_width=300)
    assert "the one configured" in configured.output and key not in configured.output
