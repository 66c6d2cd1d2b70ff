"""Events: create/update/enter/leave/delete with ``object``/``original`` as Parse Server 9 sends
them, decided per subscriber at the time of the event (ACL with roles, CLP, pointer permissions,
protectedFields, the session still being alive), and only for committed writes."""

from __future__ import annotations

from typing import Any

from tests.access.conftest import OPEN_CLP, user_ptr
from tests.live.conftest import LiveClient, LiveServer, People


async def live_shape(server: LiveServer, object_id: str, class_name: str = "Doc") -> dict[str, Any]:
    """What Parse sends for an object: the REST object (master view) plus className, without
    Relation markers."""
    r = await server.api.get(f"/classes/{class_name}/{object_id}", master=True)
    assert r.status_code == 200, r.text
    obj = {k: v for k, v in r.json().items() if not (isinstance(v, dict) and v.get("__type") == "Relation")}
    return {**obj, "className": class_name}


async def create(server: LiveServer, body: dict[str, Any], session: str | None = None, class_name: str = "Doc") -> str:
    r = await server.api.post(f"/classes/{class_name}", body, session=session, master=session is None)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def update(server: LiveServer, object_id: str, body: dict[str, Any], session: str | None = None) -> None:
    r = await server.api.put(f"/classes/Doc/{object_id}", body, session=session, master=session is None)
    assert r.status_code == 200, r.text


def envelope(event: dict[str, Any], op: str, request_id: int) -> None:
    assert event["op"] == op, event
    assert event["requestId"] == request_id
    assert set(event) <= {"op", "clientId", "requestId", "object", "original", "eventId"}


async def test_the_five_events_with_exact_objects(server: LiveServer, people: People) -> None:
    c = await server.user_client(master=True)
    await c.subscribe(1, "Doc", {"n": {"$gt": 1}})
    await create(server, {"title": "low", "n": 0})
    await c.nothing()
    doc = await create(server, {"title": "a", "n": 2, "owner": user_ptr(people.alice.id), "editors": ["x"]})
    created = await c.event()
    envelope(created, "create", 1)
    assert created["object"] == await live_shape(server, doc)
    assert "original" not in created
    v1 = created["object"]

    await update(server, doc, {"n": {"__op": "Increment", "amount": 1}, "editors": {"__op": "Delete"}})
    updated = await c.event()
    envelope(updated, "update", 1)
    v2 = await live_shape(server, doc)
    assert (updated["object"], updated["original"]) == (v2, v1)
    assert "editors" not in updated["object"] and updated["object"]["n"] == 3

    await update(server, doc, {"n": 0})
    left = await c.event()
    envelope(left, "leave", 1)
    v3 = await live_shape(server, doc)
    assert (left["object"], left["original"]) == (v3, v2)

    await update(server, doc, {"n": 5, "ACL": {people.alice.id: {"read": True, "write": True}}})
    entered = await c.event()
    envelope(entered, "enter", 1)
    v4 = await live_shape(server, doc)
    assert (entered["object"], entered["original"]) == (v4, v3)
    assert v4["ACL"] == {people.alice.id: {"read": True, "write": True}}

    r = await server.api.delete(f"/classes/Doc/{doc}", master=True)
    assert r.status_code == 200
    deleted = await c.event()
    envelope(deleted, "delete", 1)
    assert deleted["object"] == v4 and "original" not in deleted
    ids = [created["eventId"], updated["eventId"], left["eventId"], entered["eventId"], deleted["eventId"]]
    assert len(set(ids)) == 5
    await c.nothing()


async def test_each_subscriber_gets_only_what_its_acl_lets_it_read(server: LiveServer, people: People) -> None:
    alice, bob, carol = [await server.user_client(u.token) for u in (people.alice, people.bob, people.carol)]
    anonymous = await server.user_client()
    for c in (alice, bob, carol, anonymous):
        await c.subscribe(1, "Doc")
    doc = await create(server, {"title": "t", "ACL": {people.alice.id: {"read": True}}})
    assert (await alice.event())["op"] == "create"
    for c in (bob, carol, anonymous):
        await c.nothing()
    v1 = await live_shape(server, doc)

    # read access moves from alice to the Reader role (carol holds it; Lead inherits nothing down)
    await update(server, doc, {"title": "u", "ACL": {"role:Reader": {"read": True}}})
    left = await alice.event()
    assert left["op"] == "leave"
    assert left["object"] == v1 and left["original"] == v1  # never the state alice may not read
    entered = await carol.event()
    assert entered["op"] == "enter" and "original" not in entered  # the old state was not carol's
    assert entered["object"] == await live_shape(server, doc)
    for c in (bob, anonymous):
        await c.nothing()

    r = await server.api.delete(f"/classes/Doc/{doc}", master=True)
    assert r.status_code == 200
    assert (await carol.event())["op"] == "delete"
    for c in (alice, bob, anonymous):
        await c.nothing()


async def test_role_membership_and_sessions_are_checked_at_event_time(server: LiveServer, people: People) -> None:
    carol = await server.user_client(people.carol.token)
    alice = await server.user_client(people.alice.token)
    await carol.subscribe(1, "Doc")
    await alice.subscribe(1, "Doc")
    await create(server, {"title": "1", "ACL": {"role:Lead": {"read": True}}})
    assert (await carol.event())["op"] == "create"  # Lead through Reader (inherited)
    reader = (await server.api.get("/roles", master=True, params={"where": '{"name":"Reader"}'})).json()["results"][0]
    r = await server.api.put(f"/roles/{reader['objectId']}",
                             {"users": {"__op": "RemoveRelation", "objects": [user_ptr(people.carol.id)]}}, master=True)
    assert r.status_code == 200, r.text
    await create(server, {"title": "2", "ACL": {"role:Lead": {"read": True}}})
    await carol.nothing()

    await create(server, {"title": "3", "ACL": {people.alice.id: {"read": True}}})
    assert (await alice.event())["op"] == "create"
    r = await server.api.post("/logout", session=people.alice.token)
    assert r.status_code == 200
    await create(server, {"title": "4", "ACL": {people.alice.id: {"read": True}}})
    await alice.nothing()  # the session ended: the subscription reads as nobody
    await create(server, {"title": "5"})
    assert (await alice.event())["object"]["title"] == "5"  # public objects still arrive


async def test_class_level_permissions_at_event_time(server: LiveServer, people: People) -> None:
    alice = await server.user_client(people.alice.token)
    bob = await server.user_client(people.bob.token)
    carol = await server.user_client(people.carol.token)
    for c in (alice, bob, carol):
        await c.subscribe(1, "Doc")
    r = await server.api.put("/schemas/Doc", {"classLevelPermissions": {
        **OPEN_CLP, "find": {"role:Reader": True}, "readUserFields": ["owner"],
    }}, master=True)
    assert r.status_code == 200, r.text
    await create(server, {"title": "mine", "owner": user_ptr(people.bob.id)})
    assert (await carol.event())["object"]["title"] == "mine"  # the role grants find
    assert (await bob.event())["object"]["title"] == "mine"  # readUserFields: bob is the owner
    await alice.nothing()


async def test_protected_fields_keys_and_watch(server: LiveServer, people: People) -> None:
    r = await server.api.put("/schemas/Doc", {"classLevelPermissions": {
        **OPEN_CLP, "protectedFields": {"*": ["secret"], "role:Reader": []},
    }}, master=True)
    assert r.status_code == 200, r.text
    alice = await server.user_client(people.alice.token)
    carol = await server.user_client(people.carol.token)
    master = await server.user_client(master=True)
    for c in (alice, carol, master):
        await c.subscribe(1, "Doc")
    await alice.subscribe(2, "Doc", keys=["title", "secret", "n"])
    await alice.subscribe(3, "Doc", watch=["title"])
    doc = await create(server, {"title": "t", "secret": "s", "note": "n"})
    full = await live_shape(server, doc)
    events = {}
    for _ in range(3):
        e = await alice.event()
        events[e["requestId"]] = e
    assert events[1]["object"] == {k: v for k, v in full.items() if k != "secret"}
    assert events[2]["object"] == {k: full[k] for k in ("className", "objectId", "updatedAt", "createdAt", "title")}
    assert list(events[2]["object"]) == ["className", "objectId", "updatedAt", "createdAt", "title"]
    assert events[3]["op"] == "create"
    assert (await carol.event())["object"] == full  # Reader's entry protects nothing: the intersection is empty
    assert (await master.event())["object"] == full

    await update(server, doc, {"note": "changed"})
    got = sorted([(await alice.event())["requestId"], (await alice.event())["requestId"]])
    assert got == [1, 2]  # watch=["title"]: no event for a change of note
    await alice.nothing()
    await update(server, doc, {"title": "new"})
    got = sorted([(await alice.event())["requestId"] for _ in range(3)])
    assert got == [1, 2, 3]


async def test_fields_is_the_older_name_of_keys(server: LiveServer, people: People) -> None:
    """Parse Server before 5 and the Android SDK send ``query.fields``; it selects as ``keys`` does."""
    c = await server.user_client(master=True)
    await c.subscribe(1, "Doc", fields=["title"])
    doc = await create(server, {"title": "t", "n": 5})
    event = await c.event()
    assert list(event["object"]) == ["className", "objectId", "updatedAt", "createdAt", "title"]
    assert event["object"]["objectId"] == doc
    bad = {"op": "subscribe", "requestId": 2, "query": {"className": "Doc", "where": {}, "fields": []}}
    assert (await c.ask(bad))["error"] == "Array is too short (0), minimum 1"


async def test_rolled_back_writes_publish_nothing(server: LiveServer, people: People) -> None:
    c = await server.user_client(master=True)
    await c.subscribe(1, "Doc")
    r = await server.api.post("/batch", {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/Doc", "body": {"title": "rolled back"}},
        {"method": "PUT", "path": "/parse/classes/Doc/missing0000", "body": {"title": "x"}},
    ]}, master=True)
    assert r.status_code == 404, r.text
    assert (await server.api.get("/classes/Doc", master=True)).json()["results"] == []
    await c.nothing()
    r = await server.api.post("/batch", {"transaction": True, "requests": [
        {"method": "POST", "path": "/parse/classes/Doc", "body": {"title": "one"}},
        {"method": "POST", "path": "/parse/classes/Doc", "body": {"title": "two"}},
    ]}, master=True)
    assert r.status_code == 200, r.text
    assert [(await c.event())["object"]["title"] for _ in range(2)] == ["one", "two"]


async def test_unsubscribe_and_disconnect_stop_events(server: LiveServer, people: People) -> None:
    c = await server.user_client(master=True)
    gone = await server.user_client(master=True)
    await c.subscribe(1, "Doc")
    await c.subscribe(2, "Doc", {"title": "x"})
    await gone.subscribe(1, "Doc")
    await gone.ws.close()
    assert (await c.ask({"op": "unsubscribe", "requestId": 1}))["op"] == "unsubscribed"
    await create(server, {"title": "x"})
    e = await c.event()
    assert e["requestId"] == 2
    await c.nothing()
    assert server.core.live.hub.groups["Doc"].keys() == {b'Doc\x00{"title":"x"}'}


async def test_subscribers_with_the_same_query_share_one_group(server: LiveServer, people: People) -> None:
    clients: list[LiveClient] = []
    for _ in range(5):
        c = await server.user_client(people.alice.token)
        await c.subscribe(1, "Doc", {"n": 1})
        clients.append(c)
    assert len(server.core.live.hub.groups["Doc"]) == 1
    await create(server, {"n": 1})
    for c in clients:
        assert (await c.event())["op"] == "create"
