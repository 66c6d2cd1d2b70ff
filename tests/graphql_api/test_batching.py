"""Nested pointers are fetched in batches: the statements a page of notes costs do not grow with
the number of notes (one per class and level, as REST's include)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.graphql_api.conftest import Gql
from tests.policy.world import build_world, ptr

QUERY = """
{ medicalNotes(first: 100, order: [createdAt_DESC]) {
    count
    edges { node { title author { username } encounter { encounterNumber patient { mrn primaryClinician { username } } } } }
} }
"""


def count_statements(core: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    original = core.db.read

    def counting_read():  # type: ignore[no-untyped-def]
        ctx = original()

        class Wrapped:
            async def __aenter__(self):  # type: ignore[no-untyped-def]
                conn = await ctx.__aenter__()
                depth = [0]  # SQLite's fetchval calls fetch: count the outer call only
                for name in ("fetch", "fetchval"):
                    method = getattr(conn, name)

                    async def counted(sql, params=(), _method=method):  # type: ignore[no-untyped-def]
                        if depth[0] == 0:
                            statements.append(sql)
                        depth[0] += 1
                        try:
                            return await _method(sql, params)
                        finally:
                            depth[0] -= 1

                    setattr(conn, name, counted)
                return conn

            async def __aexit__(self, *exc):  # type: ignore[no-untyped-def]
                return await ctx.__aexit__(*exc)

        return Wrapped()

    monkeypatch.setattr(core.db, "read", counting_read)
    return statements


@pytest.mark.parametrize("notes", [3, 30])
async def test_nested_pointers_cost_a_fixed_number_of_statements(
    api: Api, gql: Gql, core: Any, monkeypatch: pytest.MonkeyPatch, notes: int
) -> None:
    w = await build_world(api)
    authors = ("physician", "nurse", "scribe")
    encounters = [w.ids["Encounter"]]
    for i in range(2):
        body = {**w.body("Encounter", "physician"), "encounterNumber": f"E-x{i}"}
        encounters.append(await w.make("Encounter", body, session=w.token("physician")))
    for i in range(notes - 1):  # the world has one note already
        author = authors[(i + 1) % 3]
        body = {**w.body("MedicalNote", author), "encounter": ptr("Encounter", encounters[i % 3])}
        await w.make("MedicalNote", body, session=w.token(author))
    token = w.token("physician")
    await gql.data(QUERY, session=token)  # warm the session and role caches
    statements = count_statements(core, monkeypatch)
    data = await gql.data(QUERY, session=token)
    edges = data["medicalNotes"]["edges"]
    assert data["medicalNotes"]["count"] == notes == len(edges)
    assert {e["node"]["author"]["username"] for e in edges} == {"physician1", "nurse1", "scribe1"}
    assert {e["node"]["encounter"]["patient"]["mrn"] for e in edges} == {"MRN-1"}
    assert {e["node"]["encounter"]["patient"]["primaryClinician"]["username"] for e in edges} == {"physician1"}
    selects = [s for s in statements if "SELECT" in s]
    # the notes, their count, then one statement per class and include level — authors, encounters,
    # their patients (the patients' primary clinician is physician1, already fetched as an author) —
    # whatever the number of notes
    assert len(selects) == 5, selects
