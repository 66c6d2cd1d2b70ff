"""What every command shares: the settings given as flags, and the console the progress and
messages go to (standard error; standard output is kept for what a command prints as its result)."""

from __future__ import annotations

import inspect
from typing import Any

import typer
from rich.console import Console

from chartkeep.settings import Settings

console = Console(stderr=True)


# The settings each command takes as flags (every setting is also read from CHARTKEEP_*).
# serve, init and seed take all of them: init is serve's start-up work, and seed runs the server's
# own rules in-process (password policy, file keys, mail, templates…), so one list of arguments
# fits all three — scripts/serve.sh passes its arguments to both seed and serve. The maintenance
# commands take only what they use.
SERVER = tuple(Settings.model_fields)
DATABASE = ("database_url", "data_dir")
SERVER_PANEL = "Server settings (the same as chartkeep serve)"


def settings_options(*names: str, panel: str | None = None) -> Any:
    """Give the command one ``--flag`` per named Settings field (all of them when none are named);
    the values override env/defaults. The command's own keyword parameters (besides
    ``**overrides``) come first; ``panel`` groups the settings under a heading of their own in --help."""
    fields = names or SERVER

    def decorate(func: Any) -> Any:
        params = [
            p for p in inspect.signature(func).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        for name in fields:
            info = Settings.model_fields[name]
            flag = "--" + name.replace("_", "-")
            annotation = str if info.annotation not in (int,) else int
            params.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=typer.Option(None, flag, help=info.description, show_default=False,
                                         rich_help_panel=panel),
                    annotation=annotation | None,
                )
            )
        func.__signature__ = inspect.Signature(params)
        return func

    return decorate


def load(overrides: dict[str, Any]) -> Settings:
    """The settings from CHARTKEEP_* and the defaults, with the flags given on top."""
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        values[key] = value
    return Settings(**values)
