"""Over a real WebSocket: a raised crisis flag reaches the subscribed care team as a high-priority
create event, never the patient or an outsider; publishing and sharing bring the objects to the
patient's own subscriptions."""

from __future__ import annotations

from tests.behavioral.helpers import assessment_body, build_clinic, ok, phq9, subscribed
from tests.live.conftest import LiveServer, cheap_password_hashes, server, ws_impl  # noqa: F401 - fixtures
from tests.policy.world import ptr


async def test_the_crisis_flag_is_a_live_event_for_the_care_team_only(server: LiveServer) -> None:  # noqa: F811
    c = await build_clinic(server.api)
    where = {"patient": c.profile("a")}
    clients = await subscribed(server, c, where)
    r = await server.api.post("/classes/IntakeAssessment", assessment_body(
        c, "nurse", status="completed", data=phq9([1, 1, 1, 1, 1, 1, 1, 1, 3])), session=c.token("nurse"))
    assert r.status_code == 201, r.text
    assessment = r.json()["objectId"]
    got = [await clients["doc"].event(), await clients["doc"].event()]
    by_class = {e["object"]["className"]: e for e in got}
    assert {e["op"] for e in got} == {"create"} and set(by_class) == {"IntakeAssessment", "CrisisInterventionLog"}
    flag = by_class["CrisisInterventionLog"]
    assert (flag["requestId"], flag["object"]["status"], flag["object"]["priority"], flag["object"]["source"]) == (
        1, "open", "high", ptr("IntakeAssessment", assessment))
    assert by_class["IntakeAssessment"]["object"]["crisisFlag"] is True
    for who in ("patient", "outsider", "other"):
        await clients[who].nothing()
    # published: the assessment enters the patient's subscription (and no one else's)
    await ok(c, "publishAssessment", {"assessment": assessment}, "doc")
    entered = await clients["patient"].event()
    assert (entered["op"], entered["requestId"], entered["object"]["objectId"]) == ("enter", 2, assessment)
    updated = await clients["doc"].event()
    assert (updated["op"], updated["object"]["publishedBy"]) == ("update", c.user("doc"))
    # shared: the crisis log enters too
    r = await server.api.put(f"/classes/CrisisInterventionLog/{flag['object']['objectId']}", {"shareWithPatient": True},
                             session=c.token("doc"))
    assert r.status_code == 200, r.text
    entered = await clients["patient"].event()
    assert (entered["op"], entered["requestId"], entered["object"]["priority"]) == ("enter", 1, "high")
    for who in ("outsider", "other"):
        await clients[who].nothing()
