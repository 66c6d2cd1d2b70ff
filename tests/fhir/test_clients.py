"""Real clients against a real server: ``fhirpy`` (async) reads, searches and pages through the
clinic; a FHIR write reaches the Parse API and a LiveQuery subscriber like any other write."""

from __future__ import annotations

import pytest
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.behavioral.clinic import build, ptr
from tests.fhir.helpers import validate
from tests.live.conftest import LiveServer, cheap_password_hashes, server, ws_impl  # noqa: F401 - fixtures
from tests.policy.world import build_world


def client(srv: LiveServer, token: str) -> AsyncFHIRClient:
    return AsyncFHIRClient(srv.http_url.rsplit("/parse", 1)[0] + "/fhir/R4", authorization=f"Bearer {token}")


async def test_fhirpy_reads_searches_and_pages(server: LiveServer) -> None:  # noqa: F811
    w = await build_world(server.api)
    pid = w.ids["Patient"]
    for n in range(5):
        await w.make("Encounter", {**w.body("Encounter", "physician"),
                                   "startedAt": {"__type": "Date", "iso": f"2026-03-0{n + 1}T08:00:00.000Z"}})
    fhir = client(server, w.token("physician"))
    patient = await fhir.reference("Patient", pid).to_resource()
    assert patient["id"] == pid and patient["identifier"][0]["system"] == "urn:chartkeep:mrn:ehr"
    validate(patient.serialize())
    encounters = await fhir.resources("Encounter").search(patient=pid).sort("date").limit(2).fetch_all()
    starts = [e["period"]["start"] for e in encounters]
    assert len(encounters) == 6 and starts == sorted(starts)  # three pages, none repeated
    assert len({e["id"] for e in encounters}) == 6
    for e in encounters:
        validate(e.serialize())
    assert await fhir.resources("Encounter").search(patient=pid, date__ge="2026-03-03").count() == 3
    march = await fhir.resources("Encounter").search(date__ge="2026-03-01", date__lt="2026-03-03").fetch()
    assert len(march) == 2
    outsider = client(server, w.token("outsider"))
    with pytest.raises(ResourceNotFound):
        await outsider.reference("Patient", pid).to_resource()
    assert await outsider.resources("Encounter").search(patient=pid).fetch_all() == []
    with pytest.raises(OperationOutcome):
        await fhir.resources("Encounter").search(colour="blue").fetch()


async def test_a_fhir_write_is_a_live_query_event(server: LiveServer) -> None:  # noqa: F811
    c = await build(server.api)
    live = await server.user_client(c.token("provA"))
    await live.subscribe(1, "Appointment", {"patient": ptr("PatientProfile", c.profile("A"))})
    other = await server.user_client(c.token("provB"))
    await other.subscribe(1, "Appointment", {})
    fhir = client(server, c.token("provA"))
    appt = fhir.resource("Appointment", status="booked", description="fhir booking",
                         start="2026-06-01T09:00:00Z", end="2026-06-01T09:30:00Z",
                         participant=[{"actor": {"reference": f"Patient/bh-{c.profile('A')}"}, "status": "needs-action"},
                                      {"actor": {"reference": f"Practitioner/{c.uid('provA')}"}, "status": "accepted"}])
    await appt.save()
    event = await live.event()
    assert (event["op"], event["object"]["objectId"], event["object"]["reason"]) == ("create", appt["id"],
                                                                                     "fhir booking")
    await other.nothing()
    parse = (await server.api.get(f"/classes/Appointment/{appt['id']}", session=c.token("provA"))).json()
    assert parse["status"] == "scheduled" and parse["startAt"]["iso"] == "2026-06-01T09:00:00.000Z"
