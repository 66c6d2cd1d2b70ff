"""Pointer permissions as Parse defines them (``readUserFields``, ``writeUserFields``, an
operation's ``pointerFields``, ``addField`` on the object), on a class created through the schema
API. Parse reference: ``Controllers/DatabaseController.js`` ``addPointerPermissions``.
"""

from __future__ import annotations

from chartkeep.core.handles import Core
from tests.access.conftest import NOT_FOUND, World, denied, ptr, user_ptr
from tests.access.doc_ops import auth, snapshot
from tests.conftest import row_count


async def pointer_docs(w: World) -> dict[str, str]:
    """d1 owned by alice; d2 edited by bob and alice; d3 owned by bob; d4 names nobody;
    d5 has an editors array with things that are not user pointers."""
    return {
        "d1": await w.make(title="1", owner=user_ptr(w.alice.id)),
        "d2": await w.make(title="2", editors=[user_ptr(w.bob.id), user_ptr(w.alice.id)]),
        "d3": await w.make(title="3", owner=user_ptr(w.bob.id)),
        "d4": await w.make(title="4"),
        "d5": await w.make(title="5", editors=[w.alice.id, {"objectId": w.alice.id}, ptr("Other", w.alice.id)]),
    }


async def test_read_user_fields(world: World) -> None:
    w = world
    d = await pointer_docs(w)
    await w.open_with(get={}, find={}, count={}, readUserFields=["owner", "editors"])
    expect = {
        "alice": sorted([d["d1"], d["d2"]]),
        "bob": sorted([d["d2"], d["d3"]]),
        "carol": [],
    }
    for u in w.users:
        assert await w.ids(u) == expect[u.name], u.name
        r = await w.api.get("/classes/Doc", session=u.token, params={"count": "1", "limit": "0"})
        assert r.json()["count"] == len(expect[u.name]), u.name
        for oid in d.values():
            r = await w.api.get(f"/classes/Doc/{oid}", session=u.token)
            if oid in expect[u.name]:
                assert r.status_code == 200, (u.name, r.text)
            else:
                assert (r.status_code, r.json()) == (404, NOT_FOUND), u.name
    # anonymous: nothing names them — an empty find, 101 on get, 0 counted
    assert await w.ids(None) == []
    r = await w.api.get("/classes/Doc", params={"count": "1", "limit": "0"})
    assert (r.status_code, r.json()) == (200, {"results": [], "count": 0})
    r = await w.api.get(f"/classes/Doc/{d['d1']}")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    # a client's own constraint on the pointer field is AND-ed, not replaced
    assert await w.ids(w.alice, where={"owner": user_ptr(w.bob.id)}) == []
    assert await w.ids(w.alice, where={"$or": [{"title": "3"}, {"title": "1"}]}) == [d["d1"]]
    # the master key is not restricted
    r = await w.api.get("/classes/Doc", master=True)
    assert len(r.json()["results"]) == 5


async def test_operation_pointer_fields(world: World) -> None:
    w = world
    d = await pointer_docs(w)
    await w.open_with(find={"pointerFields": ["owner"]}, get={"pointerFields": ["editors"]}, count={})
    assert await w.ids(w.alice) == [d["d1"]]
    r = await w.api.get(f"/classes/Doc/{d['d2']}", session=w.alice.token)
    assert r.status_code == 200
    r = await w.api.get(f"/classes/Doc/{d['d1']}", session=w.alice.token)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    r = await w.api.get("/classes/Doc", session=w.alice.token, params={"count": "1", "limit": "0"})
    assert (r.status_code, r.json()) == (400, denied("count"))
    # an operation's pointerFields and the group's readUserFields add up
    await w.open_with(find={"pointerFields": ["owner"]}, readUserFields=["editors"])
    assert await w.ids(w.alice) == sorted([d["d1"], d["d2"]])
    # a matching grant wins over pointer permissions
    await w.open_with(find={"role:Reader": True, "pointerFields": ["owner"]})
    assert await w.ids(w.alice) == [d["d1"]]
    assert await w.ids(w.carol) == sorted(d.values())


async def test_write_user_fields(world: World, core: Core) -> None:
    w = world
    d = await pointer_docs(w)
    await w.open_with(create={}, update={}, delete={}, writeUserFields=["owner", "editors"])
    # reads are not affected
    assert len(await w.ids(w.carol)) == 5
    r = await w.api.put(f"/classes/Doc/{d['d1']}", {"title": "by alice"}, session=w.alice.token)
    assert r.status_code == 200, r.text
    r = await w.api.put(f"/classes/Doc/{d['d2']}", {"n": 2}, session=w.alice.token)
    assert r.status_code == 200, r.text
    for who, oid in ((w.alice, d["d3"]), (w.alice, d["d4"]), (w.alice, d["d5"]), (w.carol, d["d1"]), (None, d["d1"])):
        before = await snapshot(w, core, oid)
        kw = auth(who)
        r = await w.api.put(f"/classes/Doc/{oid}", {"title": "hijacked"}, **kw)
        assert (r.status_code, r.json()) == (404, NOT_FOUND), who
        r = await w.api.delete(f"/classes/Doc/{oid}", **kw)
        assert (r.status_code, r.json()) == (404, NOT_FOUND), who
        assert await snapshot(w, core, oid) == before
    # create has no object to name the caller: writeUserFields never admits it
    before = await row_count(core, "Doc")
    r = await w.api.post("/classes/Doc", {"owner": user_ptr(w.alice.id)}, session=w.alice.token)
    assert (r.status_code, r.json()) == (400, denied("create"))
    assert await row_count(core, "Doc") == before
    r = await w.api.delete(f"/classes/Doc/{d['d1']}", session=w.alice.token)
    assert r.status_code == 200
    assert await row_count(core, "Doc") == before - 1
    # the owner cannot hand the object to someone else and keep writing it
    r = await w.api.put(f"/classes/Doc/{d['d2']}", {"editors": [user_ptr(w.bob.id)]}, session=w.alice.token)
    assert r.status_code == 200
    r = await w.api.put(f"/classes/Doc/{d['d2']}", {"n": 3}, session=w.alice.token)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)


async def test_add_field_pointer_permission_applies_to_the_object(world: World) -> None:
    """Parse (DatabaseController.update): when an update adds a field, the addField pointer
    permission is AND-ed into the update's query."""
    w = world
    d = await pointer_docs(w)
    await w.open_with(addField={"pointerFields": ["owner"]})
    r = await w.api.put(f"/classes/Doc/{d['d3']}", {"colByAlice": 1}, session=w.alice.token)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    assert "colByAlice" not in (await w.master_get(d["d3"]))
    r = await w.api.put(f"/classes/Doc/{d['d1']}", {"colByAlice": 1}, session=w.alice.token)
    assert r.status_code == 200, r.text
    # known fields: a plain update, open to everyone
    r = await w.api.put(f"/classes/Doc/{d['d3']}", {"colByAlice": 2}, session=w.alice.token)
    assert r.status_code == 200, r.text
    # adding a field while creating is refused: there is no object yet to name the caller
    r = await w.api.post("/classes/Doc", {"owner": user_ptr(w.alice.id), "colOnCreate": 1}, session=w.alice.token)
    assert (r.status_code, r.json()) == (400, denied("addField"))


