"""Roles created at run time through GraphQL: the same rules as REST (tests/policy/test_run_time_roles.py)."""

from __future__ import annotations

import json

from tests.conftest import Api, row_count
from tests.graphql_api.conftest import Gql
from tests.policy.world import staff

CREATE = """mutation($name: String!) { createRole(input: {fields: {name: $name}}) { role { objectId name } } }"""
ADD_ROLE = """mutation($id: ID!, $child: ID!) { updateRole(input: {id: $id, fields: {roles: {add: [$child]}}}) {
               role { objectId } } }"""


async def test_staff_create_roles_but_never_reach_a_reserved_one(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    doc = await staff(api, "drno", "physician")
    token = doc["sessionToken"]
    made = (await gql.data(CREATE, {"name": "frontDesk"}, session=token))["createRole"]["role"]
    assert made["name"] == "frontDesk"
    stored = (await api.get(f"/roles/{made['objectId']}", master=True)).json()
    assert stored["ACL"] == {doc["objectId"]: {"read": True, "write": True}, "role:admin": {"read": True, "write": True}}
    before = await row_count(core, "_Role")
    error = await gql.error(CREATE, {"name": "Nurse"}, session=token)
    assert error["extensions"] == {"code": 139} and "reserved" in error["message"]
    admin = (await api.get("/roles", params={"where": json.dumps({"name": "admin"})}, master=True)).json()["results"][0]
    error = await gql.error(ADD_ROLE, {"id": made["objectId"], "child": admin["objectId"]}, session=token)
    assert error["extensions"] == {"code": 119} and "reserved role admin" in error["message"]
    error = await gql.error(ADD_ROLE, {"id": admin["objectId"], "child": made["objectId"]}, session=token)
    assert error["extensions"] == {"code": 101}
    assert await row_count(core, "_Role") == before
    for owner, key in ((made["objectId"], "roles"), (admin["objectId"], "roles")):
        where = json.dumps({"$relatedTo": {"object": {"__type": "Pointer", "className": "_Role", "objectId": owner},
                                           "key": key}})
        assert (await api.get("/roles", params={"where": where}, master=True)).json()["results"] == []
