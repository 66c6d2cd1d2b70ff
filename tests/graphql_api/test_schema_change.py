"""The schema follows the class registry: a class or field added through /schemas is queryable
through GraphQL at once; a dropped class disappears."""

from __future__ import annotations

from tests.conftest import Api
from tests.graphql_api.conftest import Gql


async def test_a_field_added_through_schemas_is_queryable(api: Api, gql: Gql) -> None:
    r = await api.post("/schemas/Widget", {"className": "Widget", "fields": {"name": {"type": "String"}}}, master=True)
    assert r.status_code == 200, r.text
    made = await gql.data("""mutation { createWidget(input: {fields: {name: "knob"}}) { widget { objectId name } } }""")
    wid = made["createWidget"]["widget"]["objectId"]

    before = await gql.post("{ widgets { edges { node { name color } } } }")
    assert before.status_code == 400
    assert before.json()["errors"][0]["message"] == "Cannot query field 'color' on type 'Widget'."

    r = await api.put("/schemas/Widget", {"fields": {"color": {"type": "String"},
                                                      "owner": {"type": "Pointer", "targetClass": "_User"}}},
                      master=True)
    assert r.status_code == 200, r.text
    user = await api.signup("owner1")
    r = await api.put(f"/classes/Widget/{wid}", {"color": "red", "owner": {
        "__type": "Pointer", "className": "_User", "objectId": user["objectId"]}}, session=user["sessionToken"])
    assert r.status_code == 200, r.text
    data = await gql.data("""{ widgets(where: {color: {equalTo: "red"}}) { count edges { node { name color
                               owner { username } } } } }""", session=user["sessionToken"])
    assert data == {"widgets": {"count": 1, "edges": [
        {"node": {"name": "knob", "color": "red", "owner": {"username": "owner1"}}}]}}
    # and the new field takes writes through GraphQL too
    data = await gql.data("""mutation($id: ID!) { updateWidget(input: {id: $id, fields: {color: "blue"}}) {
                               widget { color } } }""", {"id": wid})
    assert data == {"updateWidget": {"widget": {"color": "blue"}}}
    data = await gql.data("""mutation($id: ID!) { updateWidget(input: {id: $id, fields: {owner: {link: null}}}) {
                               widget { color owner { username } } } }""", {"id": wid})
    assert data == {"updateWidget": {"widget": {"color": "blue", "owner": None}}}


async def test_a_dropped_class_leaves_the_schema(api: Api, gql: Gql) -> None:
    assert (await api.post("/schemas/Gadget", {"className": "Gadget"}, master=True)).status_code == 200
    assert await gql.data("{ gadgets { count } }") == {"gadgets": {"count": 0}}
    assert (await api.delete("/schemas/Gadget", master=True)).status_code == 200
    r = await gql.post("{ gadgets { count } }")
    assert r.status_code == 400 and "Cannot query field 'gadgets'" in r.json()["errors"][0]["message"]
