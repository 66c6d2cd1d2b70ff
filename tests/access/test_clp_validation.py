"""The schema API's CLP validation: each of Parse's ``validateCLP`` errors (107) and the forms it
accepts (Controllers/SchemaController.js)."""

from __future__ import annotations

from typing import Any

from tests.access.conftest import (
    DOC_FIELDS,
    OPEN_CLP,
    World,
    err,
)

# ---- the schema API's validation (Parse's validateCLP, error 107) ------------------------------

BAD_CLPS: list[tuple[Any, str]] = [
    ({"fly": {}}, "fly is not a valid operation for class level permissions"),
    ({"find": True}, "'true' is not a valid value for class level permissions find - must be an object"),
    ({"get": "*"}, "'*' is not a valid value for class level permissions get - must be an object"),
    ({"count": None}, "'null' is not a valid value for class level permissions count - must be an object"),
    ({"find": {"everyone": True}}, "'everyone' is not a valid key for class level permissions"),
    ({"find": {"authenticated": True}}, "'authenticated' is not a valid key for class level permissions"),
    ({"find": {"userField:owner": True}}, "'userField:owner' is not a valid key for class level permissions"),
    ({"update": {"*": False}}, "'false' is not a valid value for class level permissions update:*:false"),
    ({"delete": {"role:X": 1}}, "'1' is not a valid value for class level permissions delete:role:X:1"),
    ({"find": {"pointerFields": "owner"}}, "'owner' is not a valid value for find[pointerFields] - expected an array."),
    ({"readUserFields": "owner"}, "'owner' is not a valid value for class level permissions readUserFields - must be an array"),
    # Parse prints the operation's object here, not its name (a quirk of its validateCLP)
    ({"find": {"pointerFields": ["title"]}}, "'title' is not a valid column for class level pointer permissions [object Object]"),
    ({"get": {"pointerFields": ["ref"]}}, "'ref' is not a valid column for class level pointer permissions [object Object]"),
    ({"readUserFields": ["title"]}, "'title' is not a valid column for class level pointer permissions readUserFields"),
    ({"writeUserFields": ["ref"]}, "'ref' is not a valid column for class level pointer permissions writeUserFields"),
    ({"writeUserFields": ["nope"]}, "'nope' is not a valid column for class level pointer permissions writeUserFields"),
    ({"protectedFields": "secret"}, "'secret' is not a valid value for class level permissions protectedFields - must be an object"),
    ({"protectedFields": {"requiresAuthentication": []}}, "'requiresAuthentication' is not a valid key for class level permissions"),
    ({"protectedFields": {"pointerFields": []}}, "'pointerFields' is not a valid key for class level permissions"),
    ({"protectedFields": {"*": "secret"}}, "'secret' is not a valid value for protectedFields[*] - expected an array."),
    ({"protectedFields": {"*": ["objectId"]}}, "Default field 'objectId' can not be protected"),
    ({"protectedFields": {"authenticated": ["createdAt"]}}, "Default field 'createdAt' can not be protected"),
    ({"protectedFields": {"role:X": ["nope"]}}, "Field 'nope' in protectedFields:role:X does not exist"),
]


async def test_schema_api_refuses_invalid_clps(world: World) -> None:
    w = world
    before = (await w.api.get("/schemas/Doc", master=True)).json()
    for clp, message in BAD_CLPS:
        r = await w.api.put("/schemas/Doc", {"classLevelPermissions": clp}, master=True)
        assert (r.status_code, r.json()) == (400, err(107, message)), clp
        # nor with a field added in the same request: nothing changes
        body = {"fields": {"added": {"type": "String"}}, "classLevelPermissions": clp}
        r = await w.api.put("/schemas/Doc", body, master=True)
        assert (r.status_code, r.json()) == (400, err(107, message)), clp
        assert (await w.api.get("/schemas/Doc", master=True)).json() == before, clp
        # creating a class with it creates nothing
        r = await w.api.post("/schemas/Fresh", {"classLevelPermissions": clp, "fields": DOC_FIELDS}, master=True)
        assert (r.status_code, r.json()) == (400, err(107, message)), clp
        r = await w.api.get("/schemas/Fresh", master=True)
        assert (r.status_code, r.json()["code"]) == (400, 103), clp
    # the refused requests left the class usable, and the field can still be added
    r = await w.api.put("/schemas/Doc", {"fields": {"added": {"type": "String"}}}, master=True)
    assert r.status_code == 200, r.text
    await w.make(title="still works", added="yes")


async def test_schema_api_accepts_every_valid_form(world: World) -> None:
    w = world
    clp = {
        "get": {"*": True, w.alice.id: True, "role:Chief": True, "requiresAuthentication": True},
        "find": {"pointerFields": ["owner", "editors"]},
        "count": {},
        "create": {"requiresAuthentication": True},
        "update": {"pointerFields": []},
        "delete": {"role:Reader": True},
        "addField": {},
        "readUserFields": ["owner"],
        "writeUserFields": ["editors", "owner"],
        "protectedFields": {
            "*": ["secret", "note"],
            "authenticated": ["secret"],
            "role:Lead": [],
            w.bob.id: ["note"],
            "userField:owner": [],
        },
    }
    r = await w.api.put("/schemas/Doc", {"classLevelPermissions": clp}, master=True)
    assert r.status_code == 200, r.text
    assert r.json()["classLevelPermissions"] == clp
    assert (await w.api.get("/schemas/Doc", master=True)).json()["classLevelPermissions"] == clp
    # only the master key may change a CLP (the 403 body's wording is tests/api's business)
    r = await w.api.put("/schemas/Doc", {"classLevelPermissions": OPEN_CLP}, session=w.alice.token)
    assert r.status_code == 403
    assert (await w.api.get("/schemas/Doc", master=True)).json()["classLevelPermissions"] == clp
