"""SQL lives in storage: no module outside ``storage/``, ``query/`` (the SQL compiler for
``where``) and ``audit/`` (the ledger's own tables) spells an SQL statement.

A statement is a string constant — or a literal part of an f-string — that starts with an SQL
keyword in capitals followed by a space (``SELECT ``, ``INSERT ``, …). A module that needs one
calls a function of ``storage/rows.py`` or ``storage/queries/<subject>.py`` instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "chartkeep"
SQL_HOMES = ("storage", "query", "audit")
STATEMENT = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP) ")


def statements(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string that starts an SQL statement; docstrings are prose."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)  # an f-string's literal parts are Constant nodes too
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
        and STATEMENT.match(node.value)
    ]


def sql_outside_storage() -> list[str]:
    """``path:line: text`` of every statement in a module outside the SQL homes."""
    return [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text.strip()[:70]!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in SQL_HOMES
        for line, text in sorted(statements(path.read_text()))
    ]


def test_the_scan_finds_plain_strings_and_f_string_parts() -> None:
    source = (
        '"""SELECT is prose in a docstring."""\n'
        'T = "x"\n'
        'A = "SELECT 1"\n'
        'B = f"DELETE FROM {T} WHERE 1"\n'
        'C = "Selected: UPDATE the chart"\n'
        'D = "select 1"\n'
    )
    assert sorted(text for _, text in statements(source)) == ["DELETE FROM ", "SELECT 1"]


def test_sql_lives_in_storage() -> None:
    offenders = sql_outside_storage()
    if offenders:
        pytest.fail("SQL statements outside storage/, query/ and audit/ (move them to storage/rows.py or "
                    "storage/queries/<subject>.py):\n" + "\n".join(offenders), pytrace=False)
