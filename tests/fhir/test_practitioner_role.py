"""PractitionerRole: a clinician's ProviderProfile (the provider directory) with the account's role —
read, search, _include and _revinclude; every logged-in user reads the directory, nobody anonymous."""

from __future__ import annotations

from tests.conftest import Api
from tests.fhir.helpers import get, ids, issue
from tests.policy.world import build_world

BODY = {"specialty": "Child psychiatry", "clinic": "Riverside", "contact": {"phone": "+1-555-0100", "email": "p@x.org"}}


async def test_a_provider_profile_is_a_practitioner_role(api: Api) -> None:
    w = await build_world(api)
    provider = w.users["provider"]["objectId"]
    r = await api.post("/classes/ProviderProfile", {**BODY, "user": w.user("provider")}, session=w.token("provider"))
    assert r.status_code == 201, r.text
    profile = r.json()["objectId"]
    role = (await get(api, f"/PractitionerRole/{profile}", w.token("physician"))).json()
    assert role["practitioner"] == {"reference": f"Practitioner/{provider}"} and role["active"] is True
    assert role["code"] == [{"coding": [{"system": "urn:chartkeep:role", "code": "provider"}], "text": "provider"}]
    assert role["specialty"] == [{"text": "Child psychiatry"}] and role["organization"] == {"display": "Riverside"}
    assert role["telecom"] == [{"system": "phone", "value": "+1-555-0100"}, {"system": "email", "value": "p@x.org"}]
    token = w.token("nurse")
    for query in (f"practitioner=Practitioner/{provider}", f"practitioner={provider}", "specialty=psych",
                  "specialty:exact=Child psychiatry", f"_id={profile}"):
        assert ids((await get(api, f"/PractitionerRole?{query}", token)).json()) == [profile], query
    for query in (f"practitioner={w.users['physician']['objectId']}", "specialty=cardio"):
        assert (await get(api, f"/PractitionerRole?{query}", token)).json()["total"] == 0, query
    included = (await get(api, "/PractitionerRole?_include=PractitionerRole:practitioner", token)).json()
    assert ids(included, "Practitioner") == [provider]
    rev = (await get(api, f"/Practitioner?_id={provider}&_revinclude=PractitionerRole:practitioner", token)).json()
    assert ids(rev, "PractitionerRole") == [profile]
    # an edit through the Parse API is what FHIR shows
    r = await api.put(f"/classes/ProviderProfile/{profile}", {"specialty": "Adolescent psychiatry"},
                      session=w.token("provider"))
    assert r.status_code == 200, r.text
    role = (await get(api, f"/PractitionerRole/{profile}", token)).json()
    assert role["specialty"] == [{"text": "Adolescent psychiatry"}]
    # the directory is read by every logged-in user (patients find their providers), nobody anonymous
    for who in ("patient", "auditor", "outsider"):
        found = (await get(api, f"/PractitionerRole/{profile}", w.token(who))).json()
        assert found["id"] == profile and found["practitioner"] == {"reference": f"Practitioner/{provider}"}, who
    issue(await get(api, f"/PractitionerRole/{profile}"), 401, "login")
    issue(await get(api, "/PractitionerRole/nothere", token), 404, "not-found")
    issue(await get(api, "/PractitionerRole?role=x", token), 400, "invalid")
