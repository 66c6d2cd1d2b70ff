"""``POST /push``: checked as Parse checks it, stored as ``_PushStatus``, delivered by the webhook
adapter to a real HTTP server started by the test (tests/devices/receiver.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import pytest

from tests.conftest import Api, row_count
from tests.devices.helpers import entries
from tests.devices.receiver import Receiver, receiver

PERMISSION_DENIED = {"error": "Permission denied"}


def misconfigured(message: str) -> dict[str, Any]:
    return {"code": 115, "error": message}


async def install(api: Api, n: int, device_type: str = "ios", token: str | None = "tok", **fields: Any) -> str:
    body: dict[str, Any] = {"installationId": f"00000000-0000-4000-8000-{n:012d}", "deviceType": device_type, **fields}
    if token:
        body["deviceToken"] = f"{token}-{n}"
    r = await api.post("/installations", body)
    assert r.status_code == 201, r.text
    return str(r.json()["objectId"])


async def final_status(api: Api, core: Any, status_id: str, seconds: float = 20) -> dict[str, Any]:
    """The _PushStatus once delivery is over (the request is answered before it is)."""
    for _ in range(int(seconds / 0.05)):
        found = (await api.get(f"/classes/_PushStatus/{status_id}", master=True)).json()
        if found.get("status") in ("succeeded", "failed"):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"push {status_id} still {found.get('status')} after {seconds} s")


def configure(core: Any, hook: Receiver, **settings: Any) -> None:
    core.settings.push_webhook_url = hook.url
    for name, value in settings.items():
        setattr(core.settings, name, value)


async def test_without_an_adapter_a_push_is_refused_and_nothing_is_stored(api: Api, core: Any) -> None:
    r = await api.post("/push", {"channels": ["news"], "data": {"alert": "hi"}}, master=True)
    assert (r.status_code, r.json()) == (400, misconfigured("Missing push configuration"))
    assert await row_count(core, "_PushStatus") == 0
    info = (await api.get("/serverInfo", master=True)).json()
    assert info["features"]["push"]["immediatePush"] is False


async def test_only_the_master_key_sends_pushes_or_reads_their_status(api: Api, core: Any) -> None:
    with receiver() as hook:
        configure(core, hook)
        user = await api.signup("alice")
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "hi"}}, session=user["sessionToken"])
        assert (r.status_code, r.json()) == (403, PERMISSION_DENIED)
        assert await row_count(core, "_PushStatus") == 0 and hook.requests == []
        sent = await api.post("/push", {"channels": ["news"], "data": {"alert": "hi"}}, master=True)
        status_id = sent.headers["X-Parse-Push-Status-Id"]
        await final_status(api, core, status_id)
    for method, path in (("GET", f"/classes/_PushStatus/{status_id}"), ("GET", "/classes/_PushStatus"),
                         ("PUT", f"/classes/_PushStatus/{status_id}"), ("DELETE", f"/classes/_PushStatus/{status_id}"),
                         ("POST", "/classes/_PushStatus")):
        r = await api.request(method, path, {} if method in ("PUT", "POST") else None, session=user["sessionToken"])
        op = {"GET": "find" if path.endswith("_PushStatus") else "get", "PUT": "update", "DELETE": "delete",
              "POST": "create"}[method]
        assert (r.status_code, r.json()) == (400, {
            "code": 119, "error": f"Clients aren't allowed to perform the {op} operation on the _PushStatus collection."})


@pytest.mark.parametrize(("body", "error"), [
    ({"channels": ["a"], "where": {}, "data": {}}, misconfigured("Channels and query can not be set at the same time.")),
    ({"data": {"alert": "x"}}, misconfigured('Sending a push requires either "channels" or a "where" query.')),
    ({"channels": ["a"], "expiration_time": "soon"}, misconfigured("soon is not valid time.")),
    ({"channels": ["a"], "expiration_time": {"iso": 1}}, misconfigured("[object Object] is not valid time.")),
    ({"channels": ["a"], "expiration_interval": 0}, misconfigured("expiration_interval must be a number greater than 0")),
    ({"channels": ["a"], "expiration_interval": "60"},
     misconfigured("expiration_interval must be a number greater than 0")),
    ({"channels": ["a"], "expiration_time": 1893456000, "expiration_interval": 60},
     misconfigured("Both expiration_time and expiration_interval cannot be set")),
    ({"channels": ["a"], "push_time": True}, misconfigured("true is not valid time.")),
    ({"channels": ["a"], "data": {"badge": "lots"}},
     misconfigured("Invalid value for badge, expected number or 'Increment' or {increment: number}")),
    ({"where": {"deviceType": {"$nope": 1}}}, {"code": 107, "error": "bad constraint: $nope"}),  # as /classes answers
    ({"where": "ios"}, {"code": 102, "error": "where must be a JSON object"}),
    ({"channels": ["a"], "data": "hello"}, {"code": 107, "error": "data must be an object."}),
])
async def test_a_bad_push_is_refused_as_parse_refuses_it_and_nothing_is_stored(
        api: Api, core: Any, body: dict[str, Any], error: dict[str, Any]) -> None:
    with receiver() as hook:
        configure(core, hook)
        r = await api.post("/push", body, master=True)
        assert (r.status_code, r.json()) == (400, error)
        assert await row_count(core, "_PushStatus") == 0 and hook.requests == []


async def test_the_webhook_receives_each_batch_and_the_status_counts_what_was_sent(api: Api, core: Any) -> None:
    ios = [await install(api, n, "ios", channels=["news"], badge=n) for n in range(3)]
    android = await install(api, 10, "android", channels=["news", "sport"])
    await install(api, 11, "ios", channels=["sport"])  # another channel
    await install(api, 12, "ios", token=None, channels=["news"])  # no device token: cannot be reached
    with receiver() as hook:
        configure(core, hook, push_batch_size=2, push_webhook_secret="s3cret")
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "Clinic closed Monday", "badge": "Increment"},
                                     "expiration_interval": 3600}, master=True)
        assert (r.status_code, r.json()) == (200, {"result": True})
        status_id = r.headers["X-Parse-Push-Status-Id"]
        status = await final_status(api, core, status_id)
    assert hook.tokens() == ["tok-0", "tok-1", "tok-10", "tok-2"]
    assert [len(req.json["devices"]) for req in hook.requests] == [2, 2]
    first = hook.requests[0]
    assert first.json["pushStatusId"] == status_id and first.headers["x-parse-push-status-id"] == status_id
    assert first.json["push"]["data"] == {"alert": "Clinic closed Monday", "badge": "Increment"}
    assert first.json["push"]["expiration_interval"] == 3600 and first.json["push"]["expiration_time"] > 0
    expected = "sha256=" + hmac.new(b"s3cret", first.raw, hashlib.sha256).hexdigest()
    assert first.headers["x-chartkeep-signature"] == expected
    badges = {d["deviceToken"]: d["badge"] for req in hook.requests for d in req.json["devices"]}
    assert badges == {"tok-0": 1, "tok-1": 2, "tok-2": 3, "tok-10": 1}  # each device's own, incremented
    assert (status["status"], status["numSent"], status.get("numFailed")) == ("succeeded", 4, 0)
    assert status["sentPerType"] == {"ios": 3, "android": 1} and status["failedPerType"] == {}
    assert status["source"] == "rest" and status["query"] == '{"channels":{"$in":["news"]}}'
    assert status["payload"] == '{"alert":"Clinic closed Monday","badge":"Increment"}'
    assert status["pushHash"] == hashlib.md5(b"Clinic closed Monday").hexdigest()
    assert "count" not in status and status["ACL"] == {}
    stored = (await api.get(f"/installations/{ios[2]}", master=True)).json()
    assert stored["badge"] == 3
    assert (await api.get(f"/installations/{android}", master=True)).json()["badge"] == 1
    said = [e["details"] for e in await entries(core, "_PushStatus", status_id)]
    assert said[0] == "a push was sent (POST /push)" and said[-1] == "push succeeded: 4 sent, 0 failed"
    assert [e["details"] for e in await entries(core, "_Installation", ios[0])][-1] == f"the badge of push {status_id}"


async def test_a_failing_webhook_is_retried_a_bounded_number_of_times_then_the_push_fails(api: Api, core: Any) -> None:
    await install(api, 1, "android", channels=["news"])
    with receiver(default=503) as hook:
        configure(core, hook, push_webhook_retries=1)
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "x"}}, master=True)
        status = await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert len(hook.requests) == 2  # the first attempt and one retry
    assert (status["status"], status["numSent"], status["numFailed"]) == ("failed", 0, 1)
    assert status["failedPerType"] == {"android": 1}
    assert status["errorMessage"] == {"message": f"webhook {hook.url}: HTTP 503 (2 attempts)"}


async def test_a_retry_that_succeeds_delivers_the_push(api: Api, core: Any) -> None:
    await install(api, 1, "ios", channels=["news"])
    with receiver(script=[500]) as hook:
        configure(core, hook, push_webhook_retries=2)
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "x"}}, master=True)
        status = await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert len(hook.requests) == 2 and hook.requests[0].raw == hook.requests[1].raw
    assert (status["status"], status["numSent"], status["numFailed"]) == ("succeeded", 1, 0)


async def test_a_refusal_of_the_receiver_is_not_retried(api: Api, core: Any) -> None:
    await install(api, 1, "ios", channels=["news"])
    with receiver(default=400) as hook:
        configure(core, hook, push_webhook_retries=3)
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "x"}}, master=True)
        status = await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert len(hook.requests) == 1
    assert status["errorMessage"] == {"message": f"webhook {hook.url}: HTTP 400 (1 attempt)"}


async def test_a_receiver_that_does_not_answer_in_time_fails_the_batch(api: Api, core: Any) -> None:
    await install(api, 1, "ios", channels=["news"])
    with receiver(script=[2.0]) as hook:
        configure(core, hook, push_webhook_retries=0, push_webhook_timeout_seconds=0.3)
        r = await api.post("/push", {"channels": ["news"], "data": {"alert": "x"}}, master=True)
        status = await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert status["status"] == "failed"
    assert status["errorMessage"] == {"message": f"webhook {hook.url}: no answer within 0.3 s (1 attempt)"}


async def test_a_push_that_matches_no_device_succeeds_without_calling_the_adapter(api: Api, core: Any) -> None:
    await install(api, 1, "ios", channels=["sport"])
    with receiver() as hook:
        configure(core, hook)
        r = await api.post("/push", {"where": {"deviceType": "android"}, "data": {"alert": "x"},
                                     "push_time": "2030-01-01T08:00:00"}, master=True)
        status = await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert hook.requests == []
    assert (status["status"], status["numSent"]) == ("succeeded", 0)


async def test_a_where_query_targets_installations_and_push_time_is_handed_over(api: Api, core: Any) -> None:
    alice = await api.signup("alice")
    pointer = {"__type": "Pointer", "className": "_User", "objectId": alice["objectId"]}
    r = await api.post("/installations", {"installationId": IID_OF_ALICE, "deviceType": "ios",
                                          "deviceToken": "alice-phone", "user": pointer},
                       session=alice["sessionToken"])
    assert r.status_code == 201, r.text
    await install(api, 2, "ios")
    with receiver() as hook:
        configure(core, hook)
        r = await api.post("/push", {"where": {"user": pointer}, "data": {"alert": "Your results are ready"},
                                     "push_time": "2030-01-01T08:00:00Z"}, master=True)
        await final_status(api, core, r.headers["X-Parse-Push-Status-Id"])
    assert hook.tokens() == ["alice-phone"]
    assert hook.requests[0].json["push"]["push_time"] == "2030-01-01T08:00:00.000Z"


IID_OF_ALICE = "aaaaaaaa-0000-4000-8000-000000000001"
