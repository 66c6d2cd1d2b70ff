"""Parse Config: ``PUT /config`` with the master key, ``GET /config`` for every client (master-key-only
parameters left out), GraphQL's ``cloudConfig`` / ``updateCloudConfig``; stored in ``_GlobalConfig``,
each change a ledger entry that names the parameters and never their values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, row_count
from tests.devices.helpers import entries
from tests.graphql_api.conftest import Gql

SECRET = "sk_live_do-not-log-me"


@pytest.fixture
def gql(api: Api) -> Gql:
    return Gql(api)


async def test_before_any_config_every_client_gets_empty_params(api: Api) -> None:
    assert (await api.get("/config")).json() == {"params": {}}
    assert (await api.get("/config", master=True)).json() == {"params": {}}


async def test_the_master_key_sets_parameters_and_clients_do_not_see_master_only_ones(api: Api, core: Any) -> None:
    r = await api.put("/config", {"params": {"welcome": "Hello", "maxUploads": 5, "apiKey": SECRET,
                                             "when": {"__type": "Date", "iso": "2026-01-02T03:04:05.000Z"}},
                                  "masterKeyOnly": {"apiKey": True}}, master=True)
    assert (r.status_code, r.json()) == (200, {"result": True})
    client = (await api.get("/config")).json()
    assert client == {"params": {"welcome": "Hello", "maxUploads": 5,
                                 "when": {"__type": "Date", "iso": "2026-01-02T03:04:05.000Z"}},
                      "masterKeyOnly": {"welcome": False, "maxUploads": False, "when": False}}
    master = (await api.get("/config", master=True)).json()
    assert master["params"]["apiKey"] == SECRET and master["masterKeyOnly"]["apiKey"] is True
    said = await entries(core, "_GlobalConfig", "1")
    assert [e["event"] for e in said] == ["create"]
    assert said[0]["details"] == "config parameters set: apiKey, maxUploads, welcome, when"
    assert SECRET not in str(said)


async def test_a_put_changes_only_the_parameters_it_names_and_a_delete_removes_one(api: Api, core: Any) -> None:
    await api.put("/config", {"params": {"a": 1, "b": 2, "c": 3}, "masterKeyOnly": {"b": True, "c": True}},
                  master=True)
    await api.put("/config", {"params": {"a": 10, "c": 30}}, master=True)  # c's flag goes back to false
    await api.put("/config", {"params": {"b": {"__op": "Delete"}}}, master=True)
    assert (await api.get("/config", master=True)).json() == {"params": {"a": 10, "c": 30},
                                                              "masterKeyOnly": {"a": False, "c": False}}
    assert (await api.get("/config")).json()["params"] == {"a": 10, "c": 30}
    said = [e["details"] for e in await entries(core, "_GlobalConfig", "1")]
    assert said == ["config parameters set: a, b, c", "config parameters set: a, c", "config parameters removed: b"]
    assert await row_count(core, "_GlobalConfig") == 1


async def test_clients_may_not_change_the_config_nor_reach_its_class(api: Api, core: Any) -> None:
    user = await api.signup("alice")
    r = await api.put("/config", {"params": {"welcome": "pwned"}}, session=user["sessionToken"])
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    await api.put("/config", {"params": {"apiKey": SECRET}, "masterKeyOnly": {"apiKey": True}}, master=True)
    for method, path, op in (("GET", "/classes/_GlobalConfig", "find"), ("GET", "/classes/_GlobalConfig/1", "get"),
                             ("PUT", "/classes/_GlobalConfig/1", "update"), ("POST", "/classes/_GlobalConfig", "create"),
                             ("DELETE", "/classes/_GlobalConfig/1", "delete")):
        body = {"params": {"apiKey": "mine"}} if method in ("PUT", "POST") else None
        r = await api.request(method, path, body, session=user["sessionToken"])
        assert (r.status_code, r.json()) == (400, {
            "code": 119, "error": f"Clients aren't allowed to perform the {op} operation on the _GlobalConfig collection."})
    assert (await api.get("/config", master=True)).json()["params"] == {"apiKey": SECRET}
    assert "apiKey" not in (await api.get("/config", session=user["sessionToken"])).json()["params"]


@pytest.mark.parametrize(("body", "error"), [
    ({}, {"code": 107, "error": "params must be an object of config parameters."}),
    ({"params": ["a"]}, {"code": 107, "error": "params must be an object of config parameters."}),
    ({"params": {"a": 1}, "masterKeyOnly": {"a": "yes"}}, {"code": 107, "error": "masterKeyOnly.a must be true or false."}),
    ({"params": {"a.b": 1}}, {"code": 105, "error": "Invalid config parameter name: a.b"}),
    ({"params": {"big": "x" * 300}}, {"code": 116, "error": "The config would be 322 bytes, more than config_max_bytes (200)."}),
])
async def test_a_bad_config_is_refused_and_changes_nothing(api: Api, core: Any, body: dict[str, Any],
                                                           error: dict[str, Any]) -> None:
    await api.put("/config", {"params": {"keep": True}}, master=True)
    core.settings.config_max_bytes = 200
    r = await api.put("/config", body, master=True)
    assert (r.status_code, r.json()) == (400, error)
    assert (await api.get("/config", master=True)).json() == {"params": {"keep": True}, "masterKeyOnly": {"keep": False}}


async def test_the_cached_config_follows_every_change_at_once(api: Api, core: Any) -> None:
    core.config.ttl = 300  # kept five minutes: only a change may drop it
    await api.put("/config", {"params": {"v": 1}}, master=True)
    assert (await api.get("/config")).json()["params"] == {"v": 1}
    await api.put("/config", {"params": {"v": 2}}, master=True)
    assert (await api.get("/config")).json()["params"] == {"v": 2}
    # the master key writing the class itself (as Parse allows) drops the copy too
    r = await api.put("/classes/_GlobalConfig/1", {"params": {"v": 3}}, master=True)
    assert r.status_code == 200, r.text
    assert (await api.get("/config")).json()["params"] == {"v": 3}


async def test_graphql_reads_and_updates_a_parameter_with_the_master_key(api: Api, gql: Gql) -> None:
    await api.put("/config", {"params": {"n": 5, "flags": {"x": True}, "apiKey": SECRET},
                              "masterKeyOnly": {"apiKey": True}}, master=True)
    read = 'query($p: String!) { cloudConfig(paramName: $p) { value isMasterKeyOnly } }'
    assert await gql.data(read, {"p": "apiKey"}, master=True) == {
        "cloudConfig": {"value": SECRET, "isMasterKeyOnly": True}}
    assert (await gql.data(read, {"p": "n"}, master=True))["cloudConfig"] == {"value": "5", "isMasterKeyOnly": False}
    assert (await gql.data(read, {"p": "flags"}, master=True))["cloudConfig"]["value"] == '{"x":true}'
    assert (await gql.data(read, {"p": "missing"}, master=True))["cloudConfig"] == {
        "value": None, "isMasterKeyOnly": None}
    error = await gql.error(read, {"p": "apiKey"})
    assert (error["message"], error["extensions"]["code"]) == ("Permission denied", 119)

    update = ('mutation($i: UpdateCloudConfigInput!) { updateCloudConfig(input: $i) '
              '{ cloudConfig { value isMasterKeyOnly } clientMutationId } }')
    done = await gql.data(update, {"i": {"paramName": "banner", "value": "Closed Monday", "clientMutationId": "m1"}},
                          master=True)
    assert done == {"updateCloudConfig": {"cloudConfig": {"value": "Closed Monday", "isMasterKeyOnly": False},
                                          "clientMutationId": "m1"}}
    assert (await api.get("/config")).json()["params"]["banner"] == "Closed Monday"
    error = await gql.error(update, {"i": {"paramName": "banner", "value": "pwned"}})
    assert (error["message"], error["extensions"]["code"]) == ("Permission denied", 119)
    assert (await api.get("/config")).json()["params"]["banner"] == "Closed Monday"


async def test_server_info_tells_tools_what_chartkeep_serves(api: Api, core: Any) -> None:
    r = await api.get("/serverInfo")
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    info = (await api.get("/serverInfo", master=True)).json()
    assert info["parseServerVersion"] == "9.10.0"
    features = info["features"]
    assert features["globalConfig"] == {"create": True, "read": True, "update": True, "delete": True}
    assert features["push"] == {"immediatePush": False, "scheduledPush": False, "storedPushData": False,
                                "pushAudiences": False, "localization": False}
    assert features["hooks"] == {"create": True, "read": True, "update": True, "delete": True}  # /hooks
    assert features["cloudCode"] == {"jobs": True}  # POST /jobs
    assert features["schemas"]["addField"] is True and features["schemas"]["clearAllDataFromClass"] is False
    core.settings.push_webhook_url = "http://127.0.0.1:9/hook"
    push = (await api.get("/serverInfo", master=True)).json()["features"]["push"]
    assert (push["immediatePush"], push["storedPushData"], push["scheduledPush"]) == (True, True, False)
