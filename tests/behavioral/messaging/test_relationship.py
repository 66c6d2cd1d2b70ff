"""Who may write to whom: both people stand in the patient's care relationship (the patient or a
member of their care team); a conversationId is one patient's thread between one pair."""

from __future__ import annotations

from typing import Any

from tests.behavioral.messaging.clinic import open_clinic, refused, snapshot
from tests.conftest import Api

NOT_SENDER = "you may write messages only about your own profile or a patient whose care team you are on"
NOT_RECIPIENT = "the recipient must be the patient or a member of the patient's care team"


async def test_patient_and_team_write_each_other(api: Api) -> None:
    c = await open_clinic(api)
    await c.sent("p1", "provider", conversation="a")
    await c.sent("provider", "p1", conversation="a")
    await c.sent("nurse", "provider", conversation="team")  # two team members about their patient
    await c.sent("doc2", "p2", about="p2", conversation="b")


async def test_outside_the_relationship_is_refused(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    before = await snapshot(core)
    refused(await c.send("p1", "doc2"), 119, NOT_RECIPIENT)  # a clinician not on p1's team
    refused(await c.send("p1", "p2"), 119, NOT_RECIPIENT)  # another patient
    refused(await c.send("p2", "provider"), 119, NOT_SENDER)  # about someone else's profile
    refused(await c.send("p2", "doc2"), 119, NOT_SENDER)
    refused(await c.send("doc2", "p1"), 119, NOT_SENDER)  # a clinician not assigned to p1
    refused(await c.send("provider", "p2", about="p2"), 119, NOT_SENDER)
    refused(await c.send("admin", "p1"), 119)  # the class-level permission: admins do not message
    refused(await c.send("p1", "p1"), 142, "from and to are the same user")
    r = await api.post("/classes/Message", {**c.message("p1", "provider"),
                                            "patient": {"__type": "Pointer", "className": "PatientProfile",
                                                        "objectId": "nope"}}, session=c.tokens["p1"])
    refused(r, 101, "PatientProfile nope")
    assert await snapshot(core) == before


async def test_leaving_the_team_ends_messaging(api: Api) -> None:
    c = await open_clinic(api)
    await c.sent("p1", "nurse")
    r = await api.get("/classes/CareTeamMember", params={"where": f'{{"user": {{"__type": "Pointer", "className": '
                                                         f'"_User", "objectId": "{c.ids["nurse"]}"}}}}'}, master=True)
    member = r.json()["results"][0]["objectId"]
    assert (await api.delete(f"/classes/CareTeamMember/{member}", master=True)).status_code == 200
    refused(await c.send("p1", "nurse", conversation="c2"), 119, NOT_RECIPIENT)
    refused(await c.send("nurse", "p1", conversation="c3"), 119, NOT_SENDER)


async def test_a_conversation_is_one_patient_and_one_pair(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    await c.sent("p1", "provider", conversation="t1")
    await c.sent("provider", "p1", conversation="t1")  # the reply: same pair, either direction
    before = await snapshot(core)
    refused(await c.send("p1", "nurse", conversation="t1"), 142, "conversationId names another conversation")
    refused(await c.send("nurse", "provider", conversation="t1"), 142)
    refused(await c.send("doc2", "p2", about="p2", conversation="t1"), 142)
    assert await snapshot(core) == before
