"""Loading a cloud file: a path to a ``.py`` file or an importable module name.

Each server process loads the code itself (``serve --workers N``: every worker), so the
declarations are that process's own. A file that does not compile, or fails while it runs, stops
start-up with an error naming the file and the line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import traceback
from importlib.machinery import ModuleSpec
from pathlib import Path

from chartkeep.cloud.declare import Declarations, collecting


class CloudLoadError(Exception):
    """The cloud code cannot be loaded; the message names the file and line."""


def _spec(source: str) -> ModuleSpec:
    path = Path(source)
    if source.endswith(".py") or path.exists():
        if not path.is_file():
            raise CloudLoadError(f"Cloud code {source}: no such file")
        resolved = path.resolve()
        parent = str(resolved.parent)
        if parent not in sys.path:
            sys.path.insert(0, parent)  # the file may import modules next to it
        digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
        spec = importlib.util.spec_from_file_location(f"chartkeep_cloud_{resolved.stem}_{digest}", resolved)
    else:
        try:
            spec = importlib.util.find_spec(source)
        except (ImportError, ValueError) as exc:
            raise CloudLoadError(f"Cloud code {source}: {exc}") from None
    if spec is None or spec.loader is None:
        raise CloudLoadError(f"Cloud code {source}: no such file or importable module")
    return spec


def load(source: str) -> Declarations:
    """Run the cloud code once, fresh (even when imported before), and return what it declared."""
    spec = _spec(source)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    with collecting(source) as found:
        sys.modules[spec.name] = module  # dataclasses and pickling in the file look themselves up
        try:
            spec.loader.exec_module(module)
        except SyntaxError as exc:
            sys.modules.pop(spec.name, None)
            raise CloudLoadError(
                f"Cloud code {exc.filename or source}, line {exc.lineno}: {exc.msg}"
            ) from None
        except Exception as exc:  # noqa: BLE001 - any failure of the user's file stops start-up
            sys.modules.pop(spec.name, None)
            raise CloudLoadError(f"Cloud code {_where(exc, spec)}: {type(exc).__name__}: {exc}") from None
    return found


def _where(exc: BaseException, spec: ModuleSpec) -> str:
    """The file and line of the failure, inside the user's code when the trace reaches it."""
    frames = traceback.extract_tb(exc.__traceback__)
    origin = spec.origin or spec.name
    inside = [f for f in frames if f.filename == origin] or frames[-1:]
    if not inside:
        return origin
    frame = inside[-1]
    return f"{frame.filename}, line {frame.lineno}"
