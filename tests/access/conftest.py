"""Access-control tests on classes of our own, created through the schema API.

The seed classes ship with Chartkeep's clinical policy; these tests exercise Parse's own contract
(CLPs, pointer permissions, protectedFields, ACLs) on plain classes an app developer would create:

* ``Doc`` — the class whose permissions each test changes;
* ``Other`` — a second class ``Doc.ref`` points to, and that points back with ``doc``
  (include, subqueries).

``world`` signs up alice, bob and carol and builds a role chain: ``Chief.roles ∋ Lead``,
``Lead.roles ∋ Reader``, ``Reader.users ∋ carol`` — so carol holds Reader directly and Lead and
Chief through inheritance (two levels deep). alice and bob hold no custom role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher

from chartkeep.accounts import passwords
from tests.conftest import Api

OPS = ("get", "find", "count", "create", "update", "delete", "addField")
OPEN_CLP: dict[str, Any] = {op: {"*": True} for op in OPS} | {"protectedFields": {"*": []}}

DOC_FIELDS = {
    "title": {"type": "String"},
    "n": {"type": "Number"},
    "secret": {"type": "String"},
    "note": {"type": "String"},
    "owner": {"type": "Pointer", "targetClass": "_User"},
    "editors": {"type": "Array"},
    "ref": {"type": "Pointer", "targetClass": "Other"},
    "refs": {"type": "Array"},
}
OTHER_FIELDS = {
    "name": {"type": "String"},
    "code": {"type": "String"},
    "hidden": {"type": "String"},
}


def ptr(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def user_ptr(object_id: str) -> dict[str, str]:
    return ptr("_User", object_id)


def err(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "error": message}


def denied(op: str, class_name: str = "Doc") -> dict[str, Any]:
    return err(119, f"Permission denied for action {op} on class {class_name}.")


NEEDS_AUTH = err(101, "Permission denied, user needs to be authenticated.")
NOT_FOUND = err(101, "Object not found.")


def q(**params: Any) -> dict[str, str]:
    """Query-string parameters, JSON-encoding the structured ones as the SDKs do."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


@dataclass
class User:
    name: str
    id: str
    token: str


@dataclass
class World:
    api: Api
    alice: User
    bob: User
    carol: User
    roles: dict[str, str] = field(default_factory=dict)

    @property
    def users(self) -> list[User]:
        return [self.alice, self.bob, self.carol]

    async def set_clp(self, clp: dict[str, Any], class_name: str = "Doc") -> None:
        r = await self.api.put(f"/schemas/{class_name}", {"classLevelPermissions": clp}, master=True)
        assert r.status_code == 200, r.text

    async def open_with(self, class_name: str = "Doc", **changes: Any) -> None:
        """Parse's open CLP with some entries replaced."""
        await self.set_clp({**OPEN_CLP, **changes}, class_name)

    async def make(self, class_name: str = "Doc", **fields: Any) -> str:
        r = await self.api.post(f"/classes/{class_name}", fields, master=True)
        assert r.status_code == 201, r.text
        return str(r.json()["objectId"])

    async def master_get(self, object_id: str, class_name: str = "Doc") -> dict[str, Any]:
        r = await self.api.get(f"/classes/{class_name}/{object_id}", master=True)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def ids(self, who: User | None, class_name: str = "Doc", **params: Any) -> list[str]:
        r = await self.api.get(f"/classes/{class_name}", session=who.token if who else None, params=q(**params))
        assert r.status_code == 200, r.text
        return sorted(o["objectId"] for o in r.json()["results"])


async def create_classes(api: Api) -> None:
    for name, fields in (("Other", OTHER_FIELDS), ("Doc", DOC_FIELDS)):
        r = await api.post(f"/schemas/{name}", {"className": name, "fields": fields}, master=True)
        assert r.status_code == 200, r.text
    r = await api.put("/schemas/Other", {"fields": {"doc": {"type": "Pointer", "targetClass": "Doc"}}}, master=True)
    assert r.status_code == 200, r.text


async def make_role(api: Api, name: str, users: list[str] = (), roles: list[str] = ()) -> str:  # type: ignore[assignment]
    body: dict[str, Any] = {"name": name, "ACL": {"*": {"read": True}}}
    if users:
        body["users"] = {"__op": "AddRelation", "objects": [user_ptr(u) for u in users]}
    if roles:
        body["roles"] = {"__op": "AddRelation", "objects": [ptr("_Role", r) for r in roles]}
    r = await api.post("/roles", body, master=True)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign-ups dominate these tests' set-up; the hash's cost is not what they test."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
async def world(api: Api) -> World:
    await create_classes(api)
    users = []
    for name in ("alice", "bob", "carol"):
        u = await api.signup(name, email=f"{name}@example.com")
        users.append(User(name, u["objectId"], u["sessionToken"]))
    w = World(api, *users)
    w.roles["Reader"] = await make_role(api, "Reader", users=[w.carol.id])
    w.roles["Lead"] = await make_role(api, "Lead", roles=[w.roles["Reader"]])
    w.roles["Chief"] = await make_role(api, "Chief", roles=[w.roles["Lead"]])
    return w
