"""Class-level permissions as Parse defines them, on a class created through the schema API.

Parse references (parse-server ``src/``): ``Controllers/SchemaController.js`` —
``testPermissions``/``validatePermission`` (grants, requiresAuthentication, pointer permissions)
and ``validateCLP`` (schema API messages); ``Controllers/DatabaseController.js`` — ``find``
(a ``where`` on a lone objectId is a ``get``; ``count``), ``addPointerPermissions``,
``addProtectedFields``, ``filterSensitiveData``; ``RestQuery.js`` — ``denyProtectedFields``,
``runFind`` (``limit=0`` skips the find), ``includePath`` (includes run as ``get``), the
``replace*`` subqueries (run with the caller's auth).
"""

from __future__ import annotations

from typing import Any

from chartkeep.core.handles import Core
from tests.access.conftest import (
    NEEDS_AUTH,
    NOT_FOUND,
    OPS,
    User,
    World,
    denied,
    err,
    ptr,
    q,
    user_ptr,
)
from tests.access.doc_ops import SUCCESS, perform, snapshot
from tests.conftest import row_count

# ---- operations, grants, requiresAuthentication ---------------------------------------------


async def test_each_locked_operation_is_master_only(world: World, core: Core) -> None:
    w = world
    for i, op in enumerate(OPS):
        await w.open_with(**{op: {}})
        oid = await w.make(title="orig", owner=user_ptr(w.alice.id))
        for who in (w.alice, None):
            before = await snapshot(w, core, oid)
            r = await perform(w, op, who, oid, i)
            assert (r.status_code, r.json()) == (400, denied(op)), (op, who)
            assert await snapshot(w, core, oid) == before, (op, who)
        r = await perform(w, op, "master", oid, i)
        assert r.status_code == SUCCESS.get(op, 200), (op, r.text)
    # addField is also checked when a create brings a new field
    await w.open_with(addField={})
    before = await row_count(core, "Doc")
    r = await w.api.post("/classes/Doc", {"title": "x", "brandNew": 1}, session=w.alice.token)
    assert (r.status_code, r.json()) == (400, denied("addField"))
    assert await row_count(core, "Doc") == before
    # known fields need no addField permission
    r = await w.api.post("/classes/Doc", {"title": "x", "n": 1}, session=w.alice.token)
    assert r.status_code == 201, r.text


async def test_grants_to_user_role_and_inherited_role(world: World, core: Core) -> None:
    w = world
    grants = [
        ({w.alice.id: True}, w.alice, w.bob),
        ({"role:Reader": True}, w.carol, w.alice),  # carol is in Reader directly
        ({"role:Chief": True}, w.carol, w.bob),  # ... and in Chief through Lead, through Reader
        ({"*": True}, w.bob, None),
    ]
    for i, op in enumerate(OPS):
        for j, (grant, allowed, refused) in enumerate(grants):
            await w.open_with(**{op: grant})
            oid = await w.make(title="orig")
            if grant.get("*") is None:
                before = await snapshot(w, core, oid)
                for who in (refused, None):
                    r = await perform(w, op, who, oid, 100 * i + j)
                    assert (r.status_code, r.json()) == (400, denied(op)), (op, grant, who)
                assert await snapshot(w, core, oid) == before
            r = await perform(w, op, allowed, oid, 100 * i + j)
            assert r.status_code == SUCCESS.get(op, 200), (op, grant, r.text)


async def test_role_grant_follows_membership_changes(world: World) -> None:
    w = world
    await w.open_with(find={"role:Chief": True})
    r = await w.api.get("/classes/Doc", session=w.bob.token)
    assert r.json() == denied("find")
    # bob joins Reader: Chief now reaches him through two inherited levels
    r = await w.api.put(
        f"/roles/{w.roles['Reader']}",
        {"users": {"__op": "AddRelation", "objects": [user_ptr(w.bob.id)]}},
        master=True,
    )
    assert r.status_code == 200, r.text
    r = await w.api.get("/classes/Doc", session=w.bob.token)
    assert r.status_code == 200, r.text
    # Lead leaves Chief: the chain is cut for carol and bob
    r = await w.api.put(
        f"/roles/{w.roles['Chief']}",
        {"roles": {"__op": "RemoveRelation", "objects": [ptr("_Role", w.roles["Lead"])]}},
        master=True,
    )
    assert r.status_code == 200, r.text
    for u in (w.bob, w.carol):
        r = await w.api.get("/classes/Doc", session=u.token)
        assert (r.status_code, r.json()) == (400, denied("find")), u.name


async def test_missing_operation_in_put_schema_becomes_master_only(world: World) -> None:
    w = world
    oid = await w.make(title="t")
    await w.set_clp({"find": {"*": True}, "get": {"requiresAuthentication": True}})
    r = await w.api.get("/schemas/Doc", master=True)
    stored = r.json()["classLevelPermissions"]
    assert stored == {
        "find": {"*": True},
        "get": {"requiresAuthentication": True},
        "count": {},
        "create": {},
        "update": {},
        "delete": {},
        "addField": {},
        "protectedFields": {},
    }
    assert await w.ids(w.alice) == [oid]
    assert (await w.api.get(f"/classes/Doc/{oid}", session=w.alice.token)).status_code == 200
    for op in ("count", "create", "update", "delete"):
        r = await perform(w, op, w.alice, oid)
        assert (r.status_code, r.json()) == (400, denied(op)), op
    assert (await w.master_get(oid))["title"] == "t"


async def test_requires_authentication(world: World, core: Core) -> None:
    w = world
    for i, op in enumerate(OPS):
        await w.open_with(**{op: {"requiresAuthentication": True}})
        oid = await w.make(title="orig")
        before = await snapshot(w, core, oid)
        r = await perform(w, op, None, oid, i)
        assert (r.status_code, r.json()) == (404, NEEDS_AUTH), op
        assert await snapshot(w, core, oid) == before, op
        r = await perform(w, op, w.bob, oid, i)
        assert r.status_code == SUCCESS.get(op, 200), (op, r.text)


    # an invalid session token is refused, not treated as anonymous
    await w.open_with(find={"requiresAuthentication": True})
    r = await w.api.get("/classes/Doc", session="r:not-a-token")
    assert (r.status_code, r.json()) == (400, err(209, "Invalid session token"))


# ---- find, count, get ---------------------------------------------------------------------------


async def test_count_with_limit_zero_needs_only_count(world: World) -> None:
    w = world
    await w.make(title="a")
    await w.make(title="b")
    await w.open_with(find={})
    r = await w.api.get("/classes/Doc", session=w.alice.token, params={"count": "1", "limit": "0"})
    assert (r.status_code, r.json()) == (200, {"results": [], "count": 2})
    # a find that also counts needs both
    r = await w.api.get("/classes/Doc", session=w.alice.token, params={"count": "1"})
    assert (r.status_code, r.json()) == (400, denied("find"))
    await w.open_with(count={})
    r = await w.api.get("/classes/Doc", session=w.alice.token, params={"count": "1"})
    assert (r.status_code, r.json()) == (400, denied("count"))
    r = await w.api.get("/classes/Doc", session=w.alice.token, params={"count": "1", "limit": "0"})
    assert (r.status_code, r.json()) == (400, denied("count"))
    r = await w.api.get("/classes/Doc", session=w.alice.token)
    assert r.status_code == 200 and len(r.json()["results"]) == 2


async def test_where_on_objectid_alone_is_a_get(world: World) -> None:
    w = world
    oid = await w.make(title="a")
    await w.open_with(find={})
    assert await w.ids(w.alice, where={"objectId": oid}) == [oid]
    # anything more than the lone objectId is a find
    for where in ({"objectId": oid, "title": "a"}, {"objectId": {"$eq": oid}}, {"objectId": {"$in": [oid]}}):
        r = await w.api.get("/classes/Doc", session=w.alice.token, params=q(where=where))
        assert (r.status_code, r.json()) == (400, denied("find")), where
    await w.open_with(get={})
    r = await w.api.get("/classes/Doc", session=w.alice.token, params=q(where={"objectId": oid}))
    assert (r.status_code, r.json()) == (400, denied("get"))
    r = await w.api.get(f"/classes/Doc/{oid}", session=w.alice.token)
    assert (r.status_code, r.json()) == (400, denied("get"))
    assert await w.ids(w.alice, where={"objectId": oid, "title": "a"}) == [oid]


async def test_acl_still_applies_under_an_open_clp(world: World, core: Core) -> None:
    w = world
    mine = await w.make(title="m", ACL={w.alice.id: {"read": True, "write": True}})
    ro = await w.make(title="r", ACL={"*": {"read": True}})
    assert await w.ids(w.bob) == [ro]
    assert sorted(await w.ids(w.alice)) == sorted([mine, ro])
    r = await w.api.get(f"/classes/Doc/{mine}", session=w.bob.token)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    for oid in (mine, ro):
        r = await w.api.put(f"/classes/Doc/{oid}", {"title": "x"}, session=w.bob.token)
        assert (r.status_code, r.json()) == (404, NOT_FOUND)
        r = await w.api.delete(f"/classes/Doc/{oid}", session=w.bob.token)
        assert (r.status_code, r.json()) == (404, NOT_FOUND)
    assert await row_count(core, "Doc") == 2
    assert (await w.master_get(ro))["title"] == "r"


# ---- include ----------------------------------------------------------------------------------


async def test_include_obeys_clp_acl_and_protected_fields(world: World) -> None:
    w = world
    o1 = await w.make("Other", name="public", hidden="h1")
    o2 = await w.make("Other", name="alice's", hidden="h2", ACL={w.alice.id: {"read": True}})
    d1 = await w.make(title="1", ref=ptr("Other", o1))
    d2 = await w.make(title="2", ref=ptr("Other", o2))
    d3 = await w.make(title="3", refs=[ptr("Other", o1), ptr("Other", o2), "plain"])
    # Parse fetches included objects as a get (RestQuery.js includePath: execute({op: 'get'}))
    await w.open_with("Other", get={})
    for include in ("ref", "refs"):
        r = await w.api.get("/classes/Doc", session=w.bob.token, params={"include": include})
        assert (r.status_code, r.json()) == (400, denied("get", "Other")), include
    await w.open_with("Other", find={}, protectedFields={"*": ["hidden"]})

    async def shown(who: User, **params: str) -> dict[str, dict[str, Any]]:
        r = await w.api.get("/classes/Doc", session=who.token, params={"order": "title", **params})
        assert r.status_code == 200, r.text
        return {o["objectId"]: o for o in r.json()["results"]}

    bob = await shown(w.bob, include="ref,refs")
    assert bob[d1]["ref"] == {
        "objectId": o1,
        "createdAt": bob[d1]["ref"]["createdAt"],
        "updatedAt": bob[d1]["ref"]["updatedAt"],
        "name": "public",
        "__type": "Object",
        "className": "Other",
    }
    assert "ref" not in bob[d2]  # an included pointer the reader cannot see is dropped
    # Parse (replacePointers) drops unreadable pointers from an included array
    assert [v if isinstance(v, str) else (v["objectId"], v["__type"]) for v in bob[d3]["refs"]] == [
        (o1, "Object"),
        "plain",
    ]
    alice = await shown(w.alice, include="ref,refs")
    assert alice[d2]["ref"]["name"] == "alice's" and "hidden" not in alice[d2]["ref"]
    assert [v["objectId"] for v in alice[d3]["refs"][:2]] == [o1, o2]
    # without include, the pointers themselves are the parent's data
    plain = await shown(w.bob)
    assert plain[d2]["ref"] == ptr("Other", o2)
    assert len(plain[d3]["refs"]) == 3
    # the master key sees protected fields of included objects
    r = await w.api.get(f"/classes/Doc/{d2}", master=True, params={"include": "ref"})
    assert r.json()["ref"]["hidden"] == "h2"
    # nested include back into Doc applies Doc's rules too
    await w.make("Other", name="loop", doc=ptr("Doc", d1))
    await w.open_with("Other")
    await w.open_with(protectedFields={"*": ["title"]})
    r = await w.api.get("/classes/Other", session=w.bob.token, params={"include": "doc", "where": '{"name":"loop"}'})
    [loop] = r.json()["results"]
    assert loop["doc"]["objectId"] == d1 and "title" not in loop["doc"]


# ---- subqueries -------------------------------------------------------------------------------


def subquery_wheres(inner: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "$inQuery": {"ref": {"$inQuery": {"className": "Other", "where": inner}}},
        "$notInQuery": {"ref": {"$notInQuery": {"className": "Other", "where": inner}}},
        "$select": {"title": {"$select": {"query": {"className": "Other", "where": inner}, "key": "name"}}},
        "$dontSelect": {"title": {"$dontSelect": {"query": {"className": "Other", "where": inner}, "key": "name"}}},
    }


async def test_subqueries_run_with_the_callers_permissions(world: World) -> None:
    w = world
    o1 = await w.make("Other", name="x")
    o2 = await w.make("Other", name="y", ACL={w.alice.id: {"read": True}})
    d1 = await w.make(title="x", ref=ptr("Other", o1))
    d2 = await w.make(title="y", ref=ptr("Other", o2))
    d3 = await w.make(title="z")
    # the subquery's class refuses find: the whole query is refused
    await w.open_with("Other", find={})
    for op, where in subquery_wheres({}).items():
        r = await w.api.get("/classes/Doc", session=w.alice.token, params=q(where=where))
        assert (r.status_code, r.json()) == (400, denied("find", "Other")), op
        r = await w.api.get("/classes/Doc", master=True, params=q(where=where))
        assert r.status_code == 200, op
    await w.open_with("Other", find={"requiresAuthentication": True})
    r = await w.api.get("/classes/Doc", params=q(where=subquery_wheres({})["$inQuery"]))
    assert (r.status_code, r.json()) == (404, NEEDS_AUTH)
    # Parse runs the inner query with the caller's auth (RestQuery.js replaceInQuery & co.):
    # it sees only readable rows, so the negated forms match objects whose pointed row (or
    # value) the caller cannot read — the pointer itself is the parent's own data.
    await w.open_with("Other")
    expected = {
        "alice": {"$inQuery": [d1, d2], "$notInQuery": [d3], "$select": [d1, d2], "$dontSelect": [d3]},
        "bob": {"$inQuery": [d1], "$notInQuery": [d2, d3], "$select": [d1], "$dontSelect": [d2, d3]},
    }
    for who in (w.alice, w.bob):
        for op, where in subquery_wheres({}).items():
            assert await w.ids(who, where=where) == sorted(expected[who.name][op]), (who.name, op)
            r = await w.api.get("/classes/Doc", session=who.token, params={**q(where=where), "count": "1", "limit": "0"})
            assert r.json()["count"] == len(expected[who.name][op]), (who.name, op)
    # a constraint on a hidden row's value finds nothing for bob
    assert await w.ids(w.bob, where=subquery_wheres({"name": "y"})["$inQuery"]) == []
    assert await w.ids(w.alice, where=subquery_wheres({"name": "y"})["$inQuery"]) == [d2]
    # pointer permissions of the inner class apply as well
    await w.open_with("Other", find={}, readUserFields=[])
    r = await w.api.get("/classes/Doc", session=w.bob.token, params=q(where=subquery_wheres({})["$select"]))
    assert (r.status_code, r.json()) == (400, denied("find", "Other"))
