"""Roles: the seed roles, who may assign them, /roles, inheritance and the role cache."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Api, row_count
from tests.policy.world import staff

SEED_ROLES = ["admin", "auditor", "clinician", "nurse", "patient", "physician", "provider", "scribe"]


async def _role(api: Api, name: str) -> dict[str, Any]:
    found = (await api.get("/roles", params={"where": json.dumps({"name": name})}, master=True)).json()["results"]
    assert len(found) == 1, name
    return found[0]


async def _members(api: Api, name: str) -> list[str]:
    role = await _role(api, name)
    where = json.dumps({"$relatedTo": {"object": {"__type": "Pointer", "className": "_Role",
                                                  "objectId": role["objectId"]}, "key": "users"}})
    users = (await api.get("/users", params={"where": where}, master=True)).json()["results"]
    return sorted(u["username"] for u in users)


async def test_seed_roles_exist_and_clinician_is_inherited(api: Api) -> None:
    roles = (await api.get("/roles", master=True)).json()["results"]
    assert sorted(r["name"] for r in roles) == SEED_ROLES
    doc = await staff(api, "drno", "physician")
    assert await _members(api, "physician") == ["drno"]
    # physician inherits clinician: the clinician-only Patient registry is open to them
    r = await api.get("/classes/Patient", session=doc["sessionToken"])
    assert r.status_code == 200


@pytest.mark.parametrize("role", ["physician", "nurse", "scribe", "admin", "auditor", "applicant"])
async def test_self_signup_only_with_an_allowed_role(api: Api, core, role: str) -> None:  # type: ignore[no-untyped-def]
    before = await row_count(core, "_User")
    r = await api.post("/users", {"username": "mallory", "password": "Long-enough-pw-1", "role": role})
    assert (r.status_code, r.json()) == (
        400, {"code": 119, "error": f"Permission denied: the role {role} is assigned by an administrator."})
    assert await row_count(core, "_User") == before


async def test_unknown_role_is_refused(api: Api) -> None:
    r = await api.post("/users", {"username": "u1", "password": "Long-enough-pw-1", "role": "superuser"}, master=True)
    assert r.json()["code"] == 142 and r.json()["error"].startswith("role must be one of: admin, physician")


async def test_signup_allow_list_is_a_setting(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    core.settings.signup_roles = ["patient", "provider"]
    r = await api.post("/users", {"username": "prov", "password": "Long-enough-pw-1", "role": "provider"})
    assert r.status_code == 201
    assert await _members(api, "provider") == ["prov"]


async def test_admin_creates_staff_and_changes_roles(api: Api) -> None:
    admin = await staff(api, "boss", "admin")
    r = await api.post("/users", {"username": "nina", "password": "Long-enough-pw-1", "role": "nurse"},
                       session=admin["sessionToken"])
    assert r.status_code == 201, r.text
    nina = r.json()
    assert await _members(api, "nurse") == ["nina"]
    # nina may not promote herself; nothing changes
    r = await api.put(f"/users/{nina['objectId']}", {"role": "admin"}, session=nina["sessionToken"])
    assert (r.status_code, r.json()) == (
        400, {"code": 119, "error": "Permission denied: only an administrator can change a user's role."})
    assert await _members(api, "admin") == ["boss"]
    # ...but may edit her own profile, role unchanged included
    r = await api.put(f"/users/{nina['objectId']}", {"displayName": "Nina N", "role": "nurse"},
                      session=nina["sessionToken"])
    assert r.status_code == 200
    # the admin changes it: the membership follows at once
    r = await api.put(f"/users/{nina['objectId']}", {"role": "physician"}, session=admin["sessionToken"])
    assert r.status_code == 200, r.text
    assert await _members(api, "nurse") == []
    assert await _members(api, "physician") == ["nina"]


async def test_roles_endpoint_writes_by_staff_and_admins(api: Api, core) -> None:  # type: ignore[no-untyped-def]
    """Patients create no role (the class-level permission); staff may (test_run_time_roles.py)."""
    admin = await staff(api, "boss", "admin")
    doc = await staff(api, "drno", "physician")
    pat = await api.signup("pat", "Long-enough-pw-1", role="patient")
    r = await api.post("/roles", {"name": "oncall", "ACL": {"*": {"read": True}}}, session=pat["sessionToken"])
    assert r.json() == {"code": 119, "error": "Permission denied for action create on class _Role."}
    assert (await api.get("/roles")).json() == {
        "code": 101, "error": "Permission denied, user needs to be authenticated."}
    r = await api.post("/roles", {"name": "oncall", "ACL": {"*": {"read": True}, "role:admin": {"write": True}},
                                  "users": {"__op": "AddRelation", "objects": [
                                      {"__type": "Pointer", "className": "_User", "objectId": doc["objectId"]}]}},
                       session=admin["sessionToken"])
    assert r.status_code == 201, r.text
    rid = r.json()["objectId"]
    assert (await api.get(f"/roles/{rid}", session=doc["sessionToken"])).json()["name"] == "oncall"
    r = await api.put(f"/roles/{rid}", {"name": "renamed"}, session=admin["sessionToken"])
    assert r.json() == {"code": 139, "error": "A role's name can only be set before it has been saved."}
    for name, code in (("bad/name", 139), ("careTeam_Patient_x", 139)):
        assert (await api.post("/roles", {"name": name}, session=admin["sessionToken"])).json()["code"] == code
    assert await row_count(core, "_Role") == len(SEED_ROLES) + 1


async def test_membership_change_takes_effect_on_the_next_request(api: Api) -> None:
    """The role cache is dropped when a role changes: no stale access after removal."""
    await api.post("/schemas/Secret", {"fields": {"v": {"type": "String"}}}, master=True)
    owner = await staff(api, "boss", "admin")
    doc = await staff(api, "drno", "physician")
    r = await api.post("/roles", {"name": "vault", "ACL": {"role:admin": {"read": True, "write": True}}},
                       session=owner["sessionToken"])
    rid = r.json()["objectId"]
    sid = (await api.post("/classes/Secret", {"v": "x", "ACL": {"role:vault": {"read": True}}}, master=True)).json()
    path = f"/classes/Secret/{sid['objectId']}"
    assert (await api.get(path, session=doc["sessionToken"])).status_code == 404
    change = {"__op": "AddRelation", "objects": [{"__type": "Pointer", "className": "_User", "objectId": doc["objectId"]}]}
    await api.put(f"/roles/{rid}", {"users": change}, session=owner["sessionToken"])
    assert (await api.get(path, session=doc["sessionToken"])).status_code == 200
    await api.put(f"/roles/{rid}", {"users": {**change, "__op": "RemoveRelation"}}, session=owner["sessionToken"])
    assert (await api.get(path, session=doc["sessionToken"])).status_code == 404


async def test_inheritance_to_any_depth_and_cycles_are_harmless(api: Api) -> None:
    await api.post("/schemas/Secret", {"fields": {"v": {"type": "String"}}}, master=True)
    doc = await staff(api, "drno", "physician")
    ids = {}
    for name in ("a", "b", "c"):
        ids[name] = (await api.post("/roles", {"name": name, "ACL": {}}, master=True)).json()["objectId"]

    def rel(*names: str) -> dict[str, Any]:
        return {"__op": "AddRelation", "objects": [{"__type": "Pointer", "className": "_Role", "objectId": ids[n]}
                                                   for n in names]}
    # users of c get b's access, users of b get a's; a lists c again (a cycle)
    await api.put(f"/roles/{ids['a']}", {"roles": rel("b")}, master=True)
    await api.put(f"/roles/{ids['b']}", {"roles": rel("c")}, master=True)
    await api.put(f"/roles/{ids['c']}", {"roles": rel("a"), "users": {"__op": "AddRelation", "objects": [
        {"__type": "Pointer", "className": "_User", "objectId": doc["objectId"]}]}}, master=True)
    sid = (await api.post("/classes/Secret", {"v": "x", "ACL": {"role:a": {"read": True}}}, master=True)).json()
    assert (await api.get(f"/classes/Secret/{sid['objectId']}", session=doc["sessionToken"])).status_code == 200
