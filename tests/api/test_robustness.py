"""Hostile and random input: never a 500, never a partial write; includes never cost a query per row."""

from __future__ import annotations

import json
import random

import pytest

from tests.conftest import Api, row_count

DOB = {"__type": "Date", "iso": "1970-01-01T00:00:00.000Z"}
ATOMS = [None, True, False, 0, -1, 2**53 + 1, 1e308, -0.5, "", "x", "a" * 300, "\u0000nul", "😀", "$regex",
         {"__type": "Date", "iso": "not-a-date"}, {"__type": "Pointer"}, {"__type": "Pointer", "className": "OpenPatient"},
         {"__type": "Nope"}, {"__op": "Increment", "amount": "5"}, {"__op": "Add"}, {"__op": "Frob"},
         {"$in": 3}, {"$regex": 5}, {"$exists": "yes"}, {"$inQuery": {"className": "Nope"}}, {"$select": {}},
         {"$relatedTo": {}}, {"$or": {}}, {"$and": [1]}, {"$nor": []}, {"a.b": 1}, {"$foo": 1}, [], [[[]]]]
KEYS = ["mrn", "fullName", "dateOfBirth", "status", "allergies", "primaryClinician", "objectId", "createdAt",
        "ACL", "$or", "$and", "a-b", "_rperm", "_hashed_password", "password", "allergies.x", ""]


def random_value(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice(ATOMS)
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


async def test_random_bodies_and_queries_never_500(api: Api, core) -> None:
    rng = random.Random(20261121)
    ok = (await api.post("/classes/OpenPatient", {"mrn": "R", "fullName": "R", "dateOfBirth": DOB, "status": "a"})).json()
    before = (await api.get(f"/classes/OpenPatient/{ok['objectId']}", master=True)).json()
    created = 0
    for i in range(150):
        body = {rng.choice(KEYS): random_value(rng) for _ in range(rng.randint(1, 4))}
        where = {rng.choice(KEYS): random_value(rng) for _ in range(rng.randint(1, 3))}
        responses = [
            await api.post("/classes/OpenPatient", body),
            await api.put(f"/classes/OpenPatient/{ok['objectId']}", body),
            await api.get("/classes/OpenPatient", params={"where": json.dumps(where), "order": rng.choice(KEYS)}),
            await api.get("/classes/OpenPatient", params={"where": json.dumps(where)}, master=True),
        ]
        created += responses[0].status_code == 201
        for r in responses:
            assert r.status_code < 500, (i, body, where, r.text)
            data = r.json()
            if r.status_code >= 400:
                assert isinstance(data.get("code"), int) and isinstance(data.get("error"), str), r.text
    assert await row_count(core, "OpenPatient") == 1 + created  # a refused create left no row behind
    after = (await api.get(f"/classes/OpenPatient/{ok['objectId']}", master=True)).json()
    for key in ("mrn", "fullName", "dateOfBirth", "status"):
        assert after.get(key) not in (None, ""), (key, before, after)  # required fields were never cleared


SEEDED_ROLES = 8  # the seven seed roles and the clinician group, created at init


async def test_duplicate_unique_value_is_137(api: Api, core) -> None:
    body = {"name": "clinicians", "ACL": {"*": {"read": True}}}
    assert (await api.post("/classes/_Role", body, master=True)).status_code == 201
    r = await api.post("/classes/_Role", body, master=True)
    assert (r.status_code, r.json()) == (
        400, {"code": 137, "error": "A duplicate value for a field with unique values was provided"})
    assert await row_count(core, "_Role") == 1 + SEEDED_ROLES


@pytest.mark.parametrize("rows", [5, 40])
async def test_include_is_batched_not_per_row(api: Api, core, monkeypatch, rows: int) -> None:
    authors = [await api.signup(f"author{i}_{rows}") for i in range(3)]
    p = (await api.post("/classes/OpenPatient", {"mrn": "N", "fullName": "N", "dateOfBirth": DOB, "status": "a"})).json()
    ptr = {"__type": "Pointer", "className": "OpenPatient", "objectId": p["objectId"]}
    enc = (await api.post("/classes/OpenEncounter", {"patient": ptr, "encounterNumber": "E", "type": "t",
                                                  "startedAt": DOB, "status": "open"})).json()
    for i in range(rows):
        a = authors[i % 3]
        await api.post("/classes/OpenMedicalNote", {
            "patient": ptr, "encounter": {"__type": "Pointer", "className": "OpenEncounter", "objectId": enc["objectId"]},
            "author": {"__type": "Pointer", "className": "_User", "objectId": a["objectId"]},
            "title": f"n{i}", "noteType": "progress", "currentVersionNumber": 1, "status": "draft"})
    statements: list[str] = []
    original = core.db.read

    def counting_read():  # wrap every connection handed out for reads
        ctx = original()

        class Wrapped:
            async def __aenter__(self):
                conn = await ctx.__aenter__()
                fetch = conn.fetch

                async def counted(sql, params=()):
                    statements.append(sql)
                    return await fetch(sql, params)

                conn.fetch = counted
                return conn

            async def __aexit__(self, *exc):
                return await ctx.__aexit__(*exc)

        return Wrapped()

    monkeypatch.setattr(core.db, "read", counting_read)
    where = json.dumps({"patient": ptr})
    r = await api.get("/classes/OpenMedicalNote", params={"where": where, "include": "author,encounter.patient",
                                                      "order": "-createdAt"}, master=True)
    results = r.json()["results"]
    assert len(results) == rows
    assert {n["author"]["username"] for n in results} == {f"author{i}_{rows}" for i in range(3)}
    assert all(n["encounter"]["patient"]["mrn"] == "N" for n in results)
    # one select for the notes + one per include level (author, encounter, encounter.patient)
    assert len([s for s in statements if "SELECT" in s]) == 4, statements
