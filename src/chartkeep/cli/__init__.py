"""The ``chartkeep`` command. Flags are generated from the Settings fields (one declaration).

One module per domain, each with its own Typer app; this one composes them, in the order
``chartkeep --help`` lists the commands: the server's, then the maintenance commands, then the
groups (``audit``, ``files``, ``messages``)."""

from __future__ import annotations

import typer

from chartkeep.cli import accounts, audit, backups, demo, files, master_key, messages, migration, server

app = typer.Typer(help="Chartkeep: a self-hosted EHR backend speaking the Parse REST API.", no_args_is_help=True)
app.add_typer(server.app)  # init, serve
app.add_typer(accounts.app)  # outbox
app.add_typer(demo.app)  # seed
app.add_typer(migration.app)  # import, export
app.add_typer(backups.app)  # backup, restore
app.add_typer(master_key.app)  # master-key
app.add_typer(audit.app, name="audit")
app.add_typer(files.app, name="files")
app.add_typer(messages.app, name="messages")


def main() -> None:
    app()
