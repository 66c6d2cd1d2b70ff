"""``@cloud.define`` through REST and GraphQL: validators with Parse's messages, errors, the time limit."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import Api
from tests.graphql_api.conftest import Gql
from tests.policy.world import staff


async def test_a_function_answers_with_its_result_and_sees_its_caller(api: Api) -> None:
    r = await api.post("/functions/hello", {"name": "Ada"})
    assert (r.status_code, r.json()) == (200, {"result": {"greeting": "hello Ada", "user": None, "master": False}})
    doc = await staff(api, "drhouse", "physician")
    r = await api.post("/functions/hello", {"name": "Ada"}, session=doc["sessionToken"])
    assert r.json()["result"]["user"] == "drhouse"
    r = await api.post("/functions/hello", {"name": "Ada"}, master=True)
    assert r.json()["result"]["master"] is True


@pytest.mark.parametrize(("name", "params", "message"), [
    ("hello", {}, "Validation failed. Please specify data for name."),
    ("hello", {"name": 3}, "Validation failed. Invalid type for name. Expected: string"),
    ("pick", {"color": "green"}, "Validation failed. Invalid option for color. Expected: red, blue"),
    ("pick", {"count": "3"}, "Validation failed. Invalid type for count. Expected: number"),
    ("loggedIn", {}, "Validation failed. Please login to continue."),
    ("masterOnly", {}, "Validation failed. Master key is required to complete this request."),
    ("physiciansOnly", {}, "Validation failed. Please login to continue."),
])
async def test_validators_refuse_with_parse_messages(api: Api, name: str, params: dict, message: str) -> None:  # type: ignore[type-arg]
    r = await api.post(f"/functions/{name}", params)
    assert (r.status_code, r.json()) == (400, {"code": 142, "error": message})


async def test_validators_fill_defaults_check_roles_and_let_the_master_key_through(api: Api) -> None:
    assert (await api.post("/functions/pick", {"count": 2})).json() == {"result": {"color": "red", "count": 2}}
    nurse = (await staff(api, "nurse9", "nurse"))["sessionToken"]
    doc = (await staff(api, "doc9", "physician"))["sessionToken"]
    r = await api.post("/functions/physiciansOnly", {}, session=nurse)
    assert r.json() == {"code": 142, "error": "Validation failed. User does not match the required roles."}
    assert (await api.post("/functions/physiciansOnly", {}, session=doc)).json() == {"result": "ok"}
    assert (await api.post("/functions/masterOnly", {}, master=True)).json() == {"result": "master"}
    assert (await api.post("/functions/loggedIn", {}, session=doc)).status_code == 200


async def test_errors_keep_their_code_other_exceptions_are_141_with_the_trace_only_in_the_log(
    api: Api, caplog: pytest.LogCaptureFixture,
) -> None:
    r = await api.post("/functions/refuse", {})
    assert (r.status_code, r.json()) == (400, {"code": 142, "error": "Discharge summary needs a diagnosis"})
    with caplog.at_level(logging.ERROR, logger="chartkeep.cloud"):
        r = await api.post("/functions/crash", {})
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": "dosage table missing"})
    assert "Traceback" not in r.text
    logged = [rec for rec in caplog.records if rec.name == "chartkeep.cloud"]
    assert logged and logged[0].exc_info is not None and "function crash" in logged[0].getMessage()
    r = await api.post("/functions/notJson", {})
    assert r.json() == {"code": 141, "error": "Cloud function notJson returned a value that is not JSON"}
    r = await api.post("/functions/nope", {})
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": 'Invalid function: "nope"'})


async def test_a_hanging_function_is_cancelled_after_the_time_limit(api: Api) -> None:
    r = await api.post("/functions/hang", {})  # cloud_timeout = 1 s in these tests
    assert (r.status_code, r.json()) == (400, {"code": 141, "error": "Script timed out"})


async def test_plain_def_functions_and_headers_without_credentials(api: Api) -> None:
    assert (await api.post("/functions/add", {"a": 2, "b": 40})).json() == {"result": 42}
    doc = (await staff(api, "doc8", "physician"))["sessionToken"]
    r = await api.post("/functions/echoHeaders", {}, session=doc, master=True, headers={"X-Clinic": "north"})
    result = r.json()["result"]
    assert result["clinic"] == "north"
    assert not {"x-parse-session-token", "x-parse-master-key"} & set(result["keys"])


async def test_graphql_calls_the_same_functions(api: Api) -> None:
    gql = Gql(api)
    data = await gql.data("""mutation { callCloudCode(input: {functionName: hello, params: {name: "Ada"}}) {
                             result } }""")
    assert data["callCloudCode"]["result"] == {"greeting": "hello Ada", "user": None, "master": False}
    data = await gql.data('mutation { hello(input: {params: {name: "Bo"}}) { result } }')
    assert data["hello"]["result"]["greeting"] == "hello Bo"
    data = await gql.data("mutation { echoHeaders(input: {}) { result } }", master=True, headers={"X-Clinic": "west"})
    assert data["echoHeaders"]["result"]["clinic"] == "west"
    assert "x-parse-master-key" not in data["echoHeaders"]["result"]["keys"]
    error = await gql.error("mutation { callCloudCode(input: {functionName: refuse}) { result } }")
    assert (error["message"], error["extensions"]) == ("Discharge summary needs a diagnosis", {"code": 142})
    error = await gql.error("mutation { callCloudCode(input: {functionName: hello, params: {}}) { result } }")
    assert (error["message"], error["extensions"]["code"]) == ("Validation failed. Please specify data for name.", 142)
