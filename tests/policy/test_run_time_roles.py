"""Roles created at run time by staff (``new Parse.Role(name, acl)``), and every way a user-made role
could reach a reserved role's access, refused with its Parse error and nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api, row_count
from tests.devices.helpers import entries
from tests.policy.world import ptr, staff

PW = "Long-enough-pw-1"
SEEDED = 8  # the seed and group roles


def users(*ids: str, op: str = "AddRelation") -> dict[str, Any]:
    return {"__op": op, "objects": [ptr("_User", i) for i in ids]}


def roles(*ids: str, op: str = "AddRelation") -> dict[str, Any]:
    return {"__op": op, "objects": [ptr("_Role", i) for i in ids]}


async def role_id(api: Api, name: str) -> str:
    found = (await api.get("/roles", params={"where": json.dumps({"name": name})}, master=True)).json()["results"]
    return str(found[0]["objectId"])


async def members(api: Api, rid: str, key: str = "users") -> list[str]:
    where = json.dumps({"$relatedTo": {"object": ptr("_Role", rid), "key": key}})
    found = (await api.get("/users" if key == "users" else "/roles", params={"where": where}, master=True)).json()
    return sorted(o["objectId"] for o in found["results"])


async def secret(api: Api, acl: dict[str, Any]) -> str:
    await api.post("/schemas/Memo", {"fields": {"v": {"type": "String"}}}, master=True)
    r = await api.post("/classes/Memo", {"v": "front desk rota", "ACL": acl}, master=True)
    return str(r.json()["objectId"])


async def test_staff_role_lifecycle(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    nurse = await staff(api, "nina", "nurse")
    clerk = await staff(api, "carl", "scribe")
    other = await staff(api, "olga", "physician")
    acl = {nurse["objectId"]: {"read": True, "write": True}, "role:frontDesk": {"read": True}}
    r = await api.post("/roles", {"name": "frontDesk", "ACL": acl, "users": users(clerk["objectId"])},
                       session=nurse["sessionToken"])
    assert r.status_code == 201, r.text
    rid = r.json()["objectId"]
    assert await members(api, rid) == [clerk["objectId"]]
    # an object shared with the role: the member reads it, a non-member gets 101
    memo = await api.post("/schemas/Memo", {"fields": {"v": {"type": "String"}}}, master=True)
    assert memo.status_code == 200
    r = await api.post("/classes/Memo", {"v": "rota", "ACL": {"role:frontDesk": {"read": True}}}, master=True)
    path = f"/classes/Memo/{r.json()['objectId']}"
    assert (await api.get(path, session=clerk["sessionToken"])).json()["v"] == "rota"
    assert (await api.get(path, session=other["sessionToken"])).json() == {"code": 101, "error": "Object not found."}
    found = (await api.get("/classes/Memo", session=other["sessionToken"])).json()["results"]
    assert found == []
    # only the role's ACL may change it: the member (read only) and an outsider cannot
    for who in (clerk, other):
        r = await api.put(f"/roles/{rid}", {"users": users(who["objectId"])}, session=who["sessionToken"])
        assert r.json() == {"code": 101, "error": "Object not found."}
    assert await members(api, rid) == [clerk["objectId"]]
    # the owner removes the member: no access on the next request
    r = await api.put(f"/roles/{rid}", {"users": users(clerk["objectId"], op="RemoveRelation")},
                      session=nurse["sessionToken"])
    assert r.status_code == 200, r.text
    assert (await api.get(path, session=clerk["sessionToken"])).json()["code"] == 101
    # every change is a permission_change entry by the nurse naming the relation it changed
    log = [e for e in await entries(core, "_Role", rid) if e["outcome"] == "success"]
    assert [e["event"] for e in log] == ["permission_change", "permission_change"]
    assert {e["actor"] for e in log} == {nurse["objectId"]}
    assert all("users" in (e["details"] or "") for e in log)


async def test_inherited_role(api: Api) -> None:
    nurse = await staff(api, "nina", "nurse")
    clerk = await staff(api, "carl", "scribe")
    mine = {nurse["objectId"]: {"read": True, "write": True}}
    desk = (await api.post("/roles", {"name": "frontDesk", "ACL": mine}, session=nurse["sessionToken"])).json()
    night = (await api.post("/roles", {"name": "nightShift", "ACL": mine, "users": users(clerk["objectId"])},
                            session=nurse["sessionToken"])).json()
    # nightShift's users get frontDesk's access
    r = await api.put(f"/roles/{desk['objectId']}", {"roles": roles(night["objectId"])}, session=nurse["sessionToken"])
    assert r.status_code == 200, r.text
    path = f"/classes/Memo/{await secret(api, {'role:frontDesk': {'read': True}})}"
    assert (await api.get(path, session=clerk["sessionToken"])).status_code == 200
    r = await api.put(f"/roles/{desk['objectId']}", {"roles": roles(night["objectId"], op="RemoveRelation")},
                      session=nurse["sessionToken"])
    assert r.status_code == 200
    assert (await api.get(path, session=clerk["sessionToken"])).status_code == 404


async def test_who_may_create(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    patient = await api.signup("pat", PW, role="patient")
    r = await api.post("/roles", {"name": "friends"}, session=patient["sessionToken"])
    assert r.json() == {"code": 119, "error": "Permission denied for action create on class _Role."}
    r = await api.post("/roles", {"name": "friends"})
    assert r.json()["code"] in (119, 101)
    assert await row_count(core, "_Role") == SEEDED
    # no ACL given: the creator and admins only (never a role anyone could join)
    auditor = await staff(api, "aud", "auditor")
    r = await api.post("/roles", {"name": "reviewers"}, session=auditor["sessionToken"])
    assert r.status_code == 201, r.text
    got = (await api.get(f"/roles/{r.json()['objectId']}", master=True)).json()
    assert got["ACL"] == {auditor["objectId"]: {"read": True, "write": True}, "role:admin": {"read": True, "write": True}}


@pytest.mark.parametrize("name", ["admin", "Physician", "NURSE", "scribe", "auditor", "patient", "provider",
                                  "clinician", "careTeam_Patient_abc", "recordgrant_MedicalNote_x"])
async def test_reserved_names(api: Api, core, name: str) -> None:  # type: ignore[no-untyped-def]
    doc = await staff(api, "drno", "physician")
    r = await api.post("/roles", {"name": name, "ACL": {doc["objectId"]: {"read": True, "write": True}}},
                       session=doc["sessionToken"])
    assert r.status_code == 400 and r.json()["code"] in (139, 137), r.text
    if name.lower() not in ("admin", "scribe", "auditor", "patient", "provider", "clinician", "applicant"):
        assert r.json()["code"] == 139
    assert await row_count(core, "_Role") == SEEDED


async def _setup(api: Api) -> dict[str, Any]:
    doc = await staff(api, "drno", "physician")
    mine = {doc["objectId"]: {"read": True, "write": True}}
    own = (await api.post("/roles", {"name": "myTeam", "ACL": mine}, session=doc["sessionToken"])).json()
    return {"doc": doc, "token": doc["sessionToken"], "own": own["objectId"], "acl": mine}


async def _unchanged(api: Api, s: dict[str, Any]) -> None:
    for name in ("admin", "physician", "clinician"):
        rid = await role_id(api, name)
        assert s["own"] not in await members(api, rid, "roles")
    assert await members(api, s["own"], "roles") == []


async def test_a_reserved_role_cannot_be_put_in_a_user_role(api: Api) -> None:
    s = await _setup(api)
    admin = await role_id(api, "admin")
    r = await api.put(f"/roles/{s['own']}", {"roles": roles(admin)}, session=s["token"])
    assert r.json() == {"code": 119, "error": "Permission denied: the reserved role admin is placed in other roles "
                                                "by an administrator only."}
    r = await api.post("/roles", {"name": "sneaky", "ACL": s["acl"], "roles": roles(await role_id(api, "nurse"))},
                       session=s["token"])
    assert r.json()["code"] == 119
    batch = {"__op": "Batch", "ops": [roles(admin)]}
    assert (await api.put(f"/roles/{s['own']}", {"roles": batch}, session=s["token"])).json()["code"] == 119
    await _unchanged(api, s)


@pytest.mark.parametrize("target", ["admin", "physician", "clinician"])
async def test_a_user_role_cannot_join_a_reserved_role(api: Api, target: str) -> None:
    s = await _setup(api)
    rid = await role_id(api, target)
    held = await members(api, rid)
    # the seed role's ACL (admins write) answers first, as in Parse
    r = await api.put(f"/roles/{rid}", {"roles": roles(s["own"])}, session=s["token"])
    assert r.json() == {"code": 101, "error": "Object not found."}
    # and were its ACL opened to the doctor, the reserved name still refuses
    opened = {"*": {"read": True}, "role:admin": {"write": True}, s["doc"]["objectId"]: {"write": True}}
    assert (await api.put(f"/roles/{rid}", {"ACL": opened}, master=True)).status_code == 200
    r = await api.put(f"/roles/{rid}", {"roles": roles(s["own"])}, session=s["token"])
    assert r.json() == {"code": 119, "error": f"Permission denied: the role {target} is reserved; only an "
                                              "administrator changes it."}
    for body in ({"users": users(s["doc"]["objectId"])}, {"ACL": {"*": {"read": True}}}):
        assert (await api.put(f"/roles/{rid}", body, session=s["token"])).json()["code"] == 119
    r = await api.delete(f"/roles/{rid}", session=s["token"])
    assert r.json() == {"code": 119, "error": f"Permission denied: the role {target} is reserved; only an "
                                              "administrator deletes it."}
    assert await members(api, rid) == held
    await _unchanged(api, s)


async def test_reserved_role_users_acl_and_delete(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    s = await _setup(api)
    rid = await role_id(api, "admin")
    attempts = [({"users": users(s["doc"]["objectId"])}, 101), ({"ACL": {"*": {"read": True, "write": True}}}, 101),
                ({"ACL": {s["doc"]["objectId"]: {"read": True, "write": True}}}, 101), ({"name": "owned"}, 139)]
    for body, code in attempts:
        r = await api.put(f"/roles/{rid}", body, session=s["token"])
        assert r.json()["code"] == code, (body, r.text)
    assert await members(api, rid) == []
    assert (await api.delete(f"/roles/{rid}", session=s["token"])).json()["code"] in (101, 119)
    assert await row_count(core, "_Role") == SEEDED + 1
    # the doctor still is no admin
    assert (await api.get("/roles", params={"where": json.dumps({"name": "admin"})},
                          session=s["token"])).status_code == 200
    me = await api.get(f"/users/{s['doc']['objectId']}", session=s["token"])
    assert me.json()["role"] == "physician"


async def test_care_team_role_stays_the_servers(api: Api) -> None:
    s = await _setup(api)
    team = (await api.post("/roles", {"name": "careTeam_Patient_zzz", "ACL": {}}, master=True)).json()["objectId"]
    assert (await api.put(f"/roles/{team}", {"users": users(s["doc"]["objectId"])}, session=s["token"])).json() == {
        "code": 101, "error": "Object not found."}
    doc_writes = {s["doc"]["objectId"]: {"read": True, "write": True}}
    assert (await api.put(f"/roles/{team}", {"ACL": doc_writes}, master=True)).status_code == 200
    for body in ({"users": users(s["doc"]["objectId"])}, {"roles": roles(s["own"])}):
        assert (await api.put(f"/roles/{team}", body, session=s["token"])).json()["code"] == 119
    r = await api.put(f"/roles/{s['own']}", {"roles": roles(team)}, session=s["token"])
    assert r.json()["code"] == 119


async def test_role_acl_may_not_be_public_write(api: Api) -> None:
    s = await _setup(api)
    msg = {"code": 119, "error": "Permission denied: a role's ACL may not give public write access "
                                 "(anyone could join it)."}
    r = await api.post("/roles", {"name": "open", "ACL": {"*": {"read": True, "write": True}}}, session=s["token"])
    assert r.json() == msg
    r = await api.put(f"/roles/{s['own']}", {"ACL": None}, session=s["token"])
    assert r.json() == msg


async def test_admin_keeps_every_power(api: Api) -> None:
    s = await _setup(api)
    boss = await staff(api, "boss", "admin")
    nurse, clinician = await role_id(api, "nurse"), await role_id(api, "clinician")
    r = await api.put(f"/roles/{s['own']}", {"ACL": {**s["acl"], "role:admin": {"read": True, "write": True}}},
                      session=s["token"])
    assert r.status_code == 200, r.text
    r = await api.put(f"/roles/{s['own']}", {"roles": roles(nurse)}, session=boss["sessionToken"])
    assert r.status_code == 200, r.text
    r = await api.put(f"/roles/{clinician}", {"roles": roles(s["own"])}, session=boss["sessionToken"])
    assert r.status_code == 200, r.text
    assert s["own"] in await members(api, clinician, "roles")


async def test_role_clp_is_settable_through_schemas(api: Api) -> None:
    doc = await staff(api, "drno", "physician")
    clp = {"get": {"requiresAuthentication": True}, "find": {"requiresAuthentication": True},
           "count": {"requiresAuthentication": True}, "create": {"role:admin": True},
           "update": {"requiresAuthentication": True}, "delete": {"requiresAuthentication": True},
           "addField": {}, "protectedFields": {}}
    r = await api.put("/schemas/_Role", {"classLevelPermissions": clp}, master=True)
    assert r.status_code == 200, r.text
    assert (await api.get("/schemas/_Role", master=True)).json()["classLevelPermissions"]["create"] == {"role:admin": True}
    r = await api.post("/roles", {"name": "oncall"}, session=doc["sessionToken"])
    assert r.json() == {"code": 119, "error": "Permission denied for action create on class _Role."}
