"""``_Installation`` as the mobile SDKs use it, with Parse Server's ``handleInstallation`` rules: a
device saves its own installation without a session, by installationId or device token; only the
master key lists or deletes installations; a device token belongs to one installation."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, row_count
from tests.devices.helpers import IID_1, IID_2, IOS_TOKEN, entries, installations

NOT_FIND = {"code": 119, "error": "Clients aren't allowed to perform the find operation on the installation collection."}
NOT_DELETE = {"code": 119,
              "error": "Clients aren't allowed to perform the delete operation on the installation collection."}
NO_ID = {"code": 135, "error": "at least one ID field (deviceToken, installationId) must be specified in this operation"}
NO_TYPE = {"code": 135, "error": "deviceType must be specified in this operation"}


def device(iid: str | None = None, **fields: Any) -> dict[str, str]:
    """The headers an SDK on device ``iid`` sends (no session)."""
    return {"X-Parse-Installation-Id": iid} if iid else {}


async def test_a_device_saves_its_installation_without_a_session_and_ids_are_lowercased(api: Api, core: Any) -> None:
    r = await api.post("/classes/_Installation", {
        "installationId": IID_1, "deviceType": "ios", "deviceToken": IOS_TOKEN, "channels": ["news"],
        "appVersion": "1.0", "timeZone": "Europe/Paris",
    }, headers=device(IID_1))
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"objectId", "createdAt"}
    assert r.headers["Location"].endswith(f"/parse/classes/_Installation/{created['objectId']}")
    assert await installations(core) == [{"objectId": created["objectId"], "installationId": IID_1.lower(),
                                          "deviceToken": IOS_TOKEN.lower(), "deviceType": "ios"}]
    # the device reads it back by objectId, without a session (Parse's #1718)
    got = (await api.get(f"/installations/{created['objectId']}")).json()
    assert got["channels"] == ["news"] and got["timeZone"] == "Europe/Paris"
    assert [e["event"] for e in await entries(core, "_Installation", created["objectId"])] == ["create"]


async def test_saving_again_by_installation_id_updates_the_same_installation(api: Api, core: Any) -> None:
    first = (await api.post("/installations", {"installationId": IID_1, "deviceType": "android",
                                               "channels": ["a"]})).json()
    again = await api.post("/classes/_Installation", {"installationId": IID_1.upper(), "deviceType": "android",
                                                      "channels": ["b"], "appVersion": "2"})
    assert again.status_code == 200, again.text
    assert set(again.json()) == {"objectId", "updatedAt"} and again.json()["objectId"] == first["objectId"]
    assert await row_count(core, "_Installation") == 1
    stored = (await api.get(f"/installations/{first['objectId']}", master=True)).json()
    assert stored["channels"] == ["b"] and stored["appVersion"] == "2"
    assert [e["event"] for e in await entries(core, "_Installation", first["objectId"])] == ["create", "update"]


async def test_the_installation_id_header_alone_finds_the_devices_installation(api: Api, core: Any) -> None:
    first = (await api.post("/classes/_Installation", {"installationId": IID_1, "deviceType": "android"})).json()
    r = await api.post("/classes/_Installation", {"badge": 3}, headers=device(IID_1))
    assert r.status_code == 200, r.text
    assert r.json()["objectId"] == first["objectId"] and "updatedAt" in r.json()
    assert (await api.get(f"/installations/{first['objectId']}")).json()["badge"] == 3
    assert await row_count(core, "_Installation") == 1


async def test_a_save_must_name_the_device_and_a_new_one_its_type(api: Api, core: Any) -> None:
    r = await api.post("/classes/_Installation", {"deviceType": "android", "channels": ["x"]})
    assert (r.status_code, r.json()) == (400, NO_ID)
    r = await api.post("/installations", {"installationId": IID_1, "channels": ["x"]})
    assert (r.status_code, r.json()) == (400, NO_TYPE)
    r = await api.post("/installations", {"installationId": 7, "deviceType": "ios"})
    assert (r.status_code, r.json()["code"]) == (400, 111)
    assert await row_count(core, "_Installation") == 0
    refused = await entries(core, "_Installation")
    assert [(e["event"], e["outcome"]) for e in refused] == [("create", "failure")] * 3
    assert refused[0]["details"].startswith("135: at least one ID field")


async def test_only_the_master_key_lists_or_deletes_installations(api: Api, core: Any) -> None:
    made = (await api.post("/installations", {"installationId": IID_1, "deviceType": "ios"})).json()
    for path, params in (("/installations", None), ("/classes/_Installation", None),
                         ("/classes/_Installation", {"count": "1", "limit": "0"}),
                         ("/classes/_Installation", {"where": '{"objectId":"' + made["objectId"] + '"}'})):
        r = await api.get(path, params=params, headers=device(IID_1))
        assert (r.status_code, r.json()) == (400, NOT_FIND), path
    r = await api.request("POST", "/classes/_Installation",
                          {"_method": "GET", "_ApplicationId": "test-app", "_InstallationId": IID_1})
    assert (r.status_code, r.json()) == (400, NOT_FIND)  # the JS SDK's query, as it sends it
    r = await api.delete(f"/installations/{made['objectId']}", headers=device(IID_1))
    assert (r.status_code, r.json()) == (400, NOT_DELETE)
    assert await row_count(core, "_Installation") == 1

    listed = (await api.get("/installations", master=True)).json()["results"]
    assert [i["installationId"] for i in listed] == [IID_1.lower()]
    assert (await api.delete(f"/classes/_Installation/{made['objectId']}", master=True)).json() == {}
    assert await row_count(core, "_Installation") == 0


async def test_an_update_may_not_change_what_identifies_the_device(api: Api, core: Any) -> None:
    made = (await api.post("/installations", {"installationId": IID_1, "deviceType": "android",
                                              "deviceToken": "tok-a"})).json()
    path = f"/installations/{made['objectId']}"
    cases = [
        ({"installationId": IID_2}, "installationId may not be changed in this operation"),
        ({"deviceType": "ios"}, "deviceType may not be changed in this operation"),
        ({"installationId": {"__op": "Delete"}}, "installationId may not be changed in this operation"),
    ]
    for body, message in cases:
        r = await api.put(path, body)
        assert (r.status_code, r.json()) == (400, {"code": 136, "error": message}), body
    r = await api.put(path, {"installationId": IID_2}, master=True)  # the master key neither
    assert r.json() == {"code": 136, "error": "installationId may not be changed in this operation"}
    token_only = (await api.post("/installations", {"deviceToken": "tok-b", "deviceType": "ios"})).json()
    r = await api.put(f"/installations/{token_only['objectId']}", {"deviceToken": "tok-c"})
    assert r.json() == {"code": 136, "error": "deviceToken may not be changed in this operation"}
    r = await api.put("/installations/nosuchthing", {"deviceToken": "tok-d"})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found for update."})
    stored = {i["objectId"]: i for i in await installations(core)}
    assert stored[made["objectId"]]["installationId"] == IID_1.lower()
    assert stored[made["objectId"]]["deviceType"] == "android"
    assert stored[token_only["objectId"]]["deviceToken"] == "tok-b"
    # what does not identify the device changes freely
    assert (await api.put(path, {"channels": ["c"], "deviceType": "android"})).status_code == 200


async def test_a_device_token_moves_to_the_installation_that_takes_it(api: Api, core: Any) -> None:
    old = (await api.post("/installations", {"installationId": IID_1, "deviceToken": "shared-token",
                                             "deviceType": "android"})).json()
    new = (await api.post("/installations", {"installationId": IID_2, "deviceType": "android"})).json()
    r = await api.put(f"/installations/{new['objectId']}", {"deviceToken": "shared-token"},
                      headers=device(IID_2))  # what the SDK sends: the token, and its installation id in a header
    assert r.status_code == 200, r.text
    assert await installations(core) == [{"objectId": new["objectId"], "installationId": IID_2,
                                          "deviceToken": "shared-token", "deviceType": "android"}]
    removed = await entries(core, "_Installation", old["objectId"])
    assert removed[-1]["event"] == "delete"
    assert removed[-1]["details"] == "its device token was taken by another installation of the same device"
    assert removed[-1]["metadata"].get("server") is True


async def test_a_new_installation_of_the_same_device_token_replaces_the_old_one(api: Api, core: Any) -> None:
    await api.post("/installations", {"installationId": IID_1, "deviceToken": IOS_TOKEN, "deviceType": "ios"})
    r = await api.post("/installations", {"installationId": IID_2, "deviceToken": IOS_TOKEN, "deviceType": "ios"})
    assert r.status_code == 201
    assert [(i["installationId"], i["deviceToken"]) for i in await installations(core)] == [
        (IID_2, IOS_TOKEN.lower())]


async def test_an_installation_known_only_by_its_token_is_merged_into_the_device(api: Api, core: Any) -> None:
    own = (await api.post("/installations", {"installationId": IID_1, "deviceType": "ios"})).json()
    imported = (await api.post("/installations", {"deviceToken": IOS_TOKEN, "deviceType": "ios",
                                                  "channels": ["imported"]}, master=True)).json()
    assert await row_count(core, "_Installation") == 2
    r = await api.post("/installations", {"installationId": IID_1, "deviceToken": IOS_TOKEN, "deviceType": "ios"})
    assert (r.status_code, r.json()["objectId"]) == (200, imported["objectId"])
    assert await installations(core) == [{"objectId": imported["objectId"], "installationId": IID_1.lower(),
                                          "deviceToken": IOS_TOKEN.lower(), "deviceType": "ios"}]
    gone = await entries(core, "_Installation", own["objectId"])
    assert gone[-1]["event"] == "delete" and "merged into installation" in gone[-1]["details"]


async def test_a_token_of_another_device_needs_an_installation_id_to_tell_them_apart(api: Api, core: Any) -> None:
    await api.post("/installations", {"installationId": IID_1, "deviceToken": "tok", "deviceType": "android"})
    r = await api.post("/installations", {"deviceToken": "tok", "deviceType": "android"}, headers=device(IID_2))
    assert (r.status_code, r.json()) == (400, {
        "code": 132, "error": "Must specify installationId when deviceToken matches multiple Installation objects"})
    assert await row_count(core, "_Installation") == 1


async def test_an_installations_user_can_only_be_the_signed_in_user(api: Api, core: Any) -> None:
    alice, bob = await api.signup("alice"), await api.signup("bob")
    pointer = {"__type": "Pointer", "className": "_User", "objectId": bob["objectId"]}
    forbidden = {"code": 119, "error": "An installation's user can only be the signed-in user."}
    r = await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "user": pointer},
                       session=alice["sessionToken"])
    assert (r.status_code, r.json()) == (400, forbidden)
    r = await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "user": pointer})
    assert (r.status_code, r.json()) == (400, forbidden)  # no session: nobody's
    assert await row_count(core, "_Installation") == 0
    r = await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "user": pointer},
                       session=bob["sessionToken"])
    assert r.status_code == 201, r.text
    made = r.json()["objectId"]
    r = await api.put(f"/installations/{made}", {"user": {**pointer, "objectId": alice["objectId"]}},
                      session=bob["sessionToken"])
    assert r.json() == forbidden
    assert (await api.put(f"/installations/{made}", {"user": {"__op": "Delete"}})).status_code == 200
    r = await api.put(f"/installations/{made}", {"user": {**pointer, "objectId": alice["objectId"]}}, master=True)
    assert r.status_code == 200  # the master key assigns any user
    stored = (await api.get(f"/installations/{made}", master=True)).json()
    assert stored["user"]["objectId"] == alice["objectId"]


async def test_an_installations_acl_still_decides_who_changes_it(api: Api, core: Any) -> None:
    alice = await api.signup("alice")
    acl = {alice["objectId"]: {"read": True, "write": True}}
    made = (await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "ACL": acl},
                           session=alice["sessionToken"])).json()
    r = await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "badge": 9})
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    r = await api.get(f"/installations/{made['objectId']}")
    assert r.status_code == 404
    r = await api.post("/installations", {"installationId": IID_1, "deviceType": "ios", "badge": 9},
                       session=alice["sessionToken"])
    assert r.status_code == 200
