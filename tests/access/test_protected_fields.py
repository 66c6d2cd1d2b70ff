"""protectedFields as Parse computes them: intersection, ``userField:``, ``_User`` email/authData,
and queries on protected fields refused (RestQuery.js ``denyProtectedFields``; DatabaseController.js
``addProtectedFields``, ``filterSensitiveData``)."""

from __future__ import annotations

from typing import Any

from tests.access.conftest import (
    User,
    World,
    err,
    ptr,
    q,
    user_ptr,
)

# ---- protectedFields ------------------------------------------------------------------------

SHOWABLE = {"title", "secret", "note"}


async def hidden_by_find(w: World, who: User | None, oid: str) -> set[str]:
    r = await w.api.get("/classes/Doc", session=who.token if who else None, params=q(where={"title": {"$exists": True}}))
    assert r.status_code == 200, r.text
    [obj] = [o for o in r.json()["results"] if o["objectId"] == oid]
    return SHOWABLE - set(obj)


async def hidden_by_get(w: World, who: User | None, oid: str) -> set[str]:
    r = await w.api.get(f"/classes/Doc/{oid}", session=who.token if who else None)
    assert r.status_code == 200, r.text
    return SHOWABLE - set(r.json())


async def test_protected_fields_intersect(world: World) -> None:
    w = world
    d1 = await w.make(title="t1", secret="s1", note="n1", owner=user_ptr(w.alice.id))
    d2 = await w.make(title="t2", secret="s2", note="n2", owner=user_ptr(w.bob.id), editors=[user_ptr(w.carol.id)])
    both = {"secret", "note"}
    a, b, c = w.alice, w.bob, w.carol
    cases: list[tuple[dict[str, Any], list[tuple[User | None, str, set[str]]]]] = [
        ({"*": ["secret", "note"]}, [(None, d1, both), (a, d1, both), (c, d2, both)]),
        ({"*": ["secret", "note"], "authenticated": ["secret"]}, [(None, d1, both), (a, d1, {"secret"})]),
        ({"authenticated": ["secret"]}, [(None, d1, set()), (b, d1, {"secret"})]),
        # carol holds Chief through two inherited levels
        (
            {"*": ["secret", "note"], "authenticated": ["secret", "note"], "role:Chief": ["note"]},
            [(c, d1, {"note"}), (a, d1, both), (None, d1, both)],
        ),
        # every set that applies must hide a field: Reader ∩ Lead ∩ * = nothing
        ({"*": ["secret", "note"], "role:Reader": ["secret"], "role:Lead": ["note"]}, [(c, d1, set()), (b, d1, both)]),
        ({"*": ["secret"], a.id: []}, [(a, d1, set()), (b, d1, {"secret"}), (None, d1, {"secret"})]),
        # userField: the owner's set joins the intersection on their own objects only
        (
            {"*": ["secret", "note"], "userField:owner": ["note"]},
            [(a, d1, {"note"}), (a, d2, both), (b, d2, {"note"}), (b, d1, both), (None, d1, both)],
        ),
        ({"*": ["secret"], "userField:editors": []}, [(c, d2, set()), (c, d1, {"secret"}), (b, d2, {"secret"})]),
        ({"userField:owner": ["secret"]}, [(a, d1, set()), (b, d1, set())]),
    ]
    for rules, checks in cases:
        await w.open_with(protectedFields=rules)
        for who, oid, hidden in checks:
            label = (rules, who.name if who else "anonymous", oid == d1)
            assert await hidden_by_find(w, who, oid) == hidden, label
            assert await hidden_by_get(w, who, oid) == hidden, label
        r = await w.api.get(f"/classes/Doc/{d1}", master=True)
        assert set(r.json()) >= SHOWABLE
    # keys: a protected field stays hidden when asked for; userField still applies without its key
    await w.open_with(protectedFields={"*": ["secret"], "userField:owner": []})
    r = await w.api.get("/classes/Doc", session=a.token, params={"keys": "secret", "order": "title"})
    shown = r.json()["results"]
    assert [o.get("secret") for o in shown] == ["s1", None]
    assert all("owner" not in o for o in shown)


async def test_querying_protected_fields(world: World) -> None:
    w = world
    d1 = await w.make(title="t1", secret="s1", note="n1")
    await w.make(title="t2", secret="s2", note="n2")
    o1 = await w.make("Other", name="o", code="s1", doc=ptr("Doc", d1))
    await w.open_with(protectedFields={"*": ["secret"], w.bob.id: []})
    forbidden = err(119, "This user is not allowed to query secret on class Doc")
    refused: list[dict[str, str]] = [
        q(where={"secret": "s1"}),
        q(where={"secret": {"$exists": True}}),
        q(where={"secret": {"$regex": "^s"}}),
        q(where={"$or": [{"title": "t1"}, {"secret": "s1"}]}),
        q(where={"$and": [{"title": "t1"}, {"$nor": [{"secret": "s2"}]}]}),
        {"order": "secret"},
        {"order": "title,-secret"},
        {**q(where={"secret": "s1"}), "count": "1", "limit": "0"},
    ]
    for params in refused:
        for who in (w.alice, None):
            r = await w.api.get("/classes/Doc", session=who.token if who else None, params=params)
            assert (r.status_code, r.json()) == (400, forbidden), params
        # bob's own entry un-protects it; the master key is never refused
        r = await w.api.get("/classes/Doc", session=w.bob.token, params=params)
        assert r.status_code == 200, (params, r.text)
        r = await w.api.get("/classes/Doc", master=True, params=params)
        assert r.status_code == 200, (params, r.text)
    assert await w.ids(w.bob, where={"secret": "s1"}) == [d1]
    # a subquery into Doc is a query on Doc: Parse runs it as a RestQuery, with denyProtectedFields
    sub_refused = [
        {"doc": {"$inQuery": {"className": "Doc", "where": {"secret": "s1"}}}},
        {"doc": {"$notInQuery": {"className": "Doc", "where": {"secret": "s1"}}}},
        {"code": {"$select": {"query": {"className": "Doc", "where": {"secret": "s1"}}, "key": "title"}}},
        # nested: Other → Doc → Other → Doc
        {
            "doc": {
                "$inQuery": {
                    "className": "Doc",
                    "where": {
                        "title": {
                            "$dontSelect": {
                                "query": {
                                    "className": "Other",
                                    "where": {"doc": {"$inQuery": {"className": "Doc", "where": {"secret": "x"}}}},
                                },
                                "key": "name",
                            }
                        }
                    },
                }
            }
        },
    ]
    for where in sub_refused:
        r = await w.api.get("/classes/Other", session=w.alice.token, params=q(where=where))
        assert (r.status_code, r.json()) == (400, forbidden), where
        assert await w.ids(w.bob, "Other", where=where) in ([], [o1]), where
    # $select / $dontSelect cannot read a protected field's values either
    for op in ("$select", "$dontSelect"):
        where = {"code": {op: {"query": {"className": "Doc", "where": {}}, "key": "secret"}}}
        r = await w.api.get("/classes/Other", session=w.alice.token, params=q(where=where))
        assert (r.status_code, r.json()) == (400, forbidden), op
        expected = [o1] if op == "$select" else []
        assert await w.ids(w.bob, "Other", where=where) == expected, op


async def test_user_class_protects_email_and_auth_data(world: World) -> None:
    w = world
    # users are private by default; let everyone read bob's and carol's user objects
    for u in (w.bob, w.carol):
        r = await w.api.put(f"/users/{u.id}", {"ACL": {"*": {"read": True}, u.id: {"write": True}}}, master=True)
        assert r.status_code == 200, r.text
    r = await w.api.get("/users/me", session=w.alice.token)
    assert r.json()["email"] == "alice@example.com"
    r = await w.api.get(f"/users/{w.alice.id}", session=w.alice.token)
    assert r.json()["email"] == "alice@example.com"
    r = await w.api.get(f"/users/{w.bob.id}", session=w.alice.token)
    assert r.status_code == 200 and r.json()["username"] == "bob"
    assert "email" not in r.json() and "authData" not in r.json()
    r = await w.api.get("/users", session=w.alice.token)
    found = {o["username"]: o for o in r.json()["results"]}
    assert set(found) == {"alice", "bob", "carol"}
    assert found["alice"]["email"] == "alice@example.com"
    assert "email" not in found["bob"] and "email" not in found["carol"]
    r = await w.api.get("/users", session=w.alice.token, params=q(where={"email": "bob@example.com"}))
    assert (r.status_code, r.json()) == (400, err(119, "This user is not allowed to query email on class _User"))
    r = await w.api.get("/users", master=True, params=q(where={"email": "bob@example.com"}))
    assert [o["username"] for o in r.json()["results"]] == ["bob"]
    assert r.json()["results"][0]["email"] == "bob@example.com"
