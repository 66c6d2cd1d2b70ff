"""The real SMART client library, ``fhirclient``, does a standalone launch against the server's own
endpoints over HTTP: it reads the CapabilityStatement, builds the authorization URL (PKCE S256),
the sign-in page is filled in as a browser would (httpx), ``fhirclient`` exchanges the code and
reads the launch patient, then searches with its token; a refresh rotates the token."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlencode, urlsplit

from fhirclient import client as smart
from fhirclient.models.encounter import Encounter
from fhirclient.models.patient import Patient

from tests.fhir.smart_helpers import FORM, REDIRECT, register
from tests.live.conftest import LiveServer, cheap_password_hashes, server, ws_impl  # noqa: F401 - fixtures
from tests.policy.world import build_world


async def _sign_in(srv: LiveServer, url: str, username: str, patient: str = "") -> str:
    """The user's part: open the page the app sent them to, sign in and allow; the callback URL."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    page = await srv.api.client.get(urlsplit(url).path, params=params)
    assert page.status_code == 200 and "Chart viewer" in page.text, page.text
    form = {**params, "username": username, "password": "Long-enough-pw-1", "patient": patient,
            "decision": "approve"}
    r = await srv.api.client.post(urlsplit(url).path, content=urlencode(form), headers=FORM)
    assert r.status_code == 302, r.text
    return r.headers["location"]


async def test_fhirclient_standalone_launch_reads_the_launch_patient(server: LiveServer) -> None:  # noqa: F811
    w = await build_world(server.api)
    pid = w.ids["Patient"]
    app = await register(server.api.client, public=False)
    base = server.http_url.rsplit("/parse", 1)[0] + "/fhir/R4"
    fhir = smart.FHIRClient(settings={"app_id": app.client_id, "app_secret": app.secret, "api_base": base,
                                      "redirect_uri": REDIRECT,
                                      "scope": "launch/patient patient/*.read offline_access"})
    # fhirclient is synchronous (requests): it runs in a thread while the server answers on this loop
    url = await asyncio.to_thread(lambda: fhir.authorize_url)
    assert url.startswith(f"{base}/auth/authorize?") and "code_challenge_method=S256" in url
    callback = await _sign_in(server, url, "physician1", patient=pid)
    assert callback.startswith(REDIRECT + "?code=")
    await asyncio.to_thread(fhir.handle_callback, callback)
    assert fhir.ready and fhir.patient_id == pid
    patient = await asyncio.to_thread(lambda: fhir.patient)
    assert isinstance(patient, Patient) and patient.id == pid
    assert patient.identifier[0].system == "urn:chartkeep:mrn:ehr"
    found = await asyncio.to_thread(
        lambda: list(Encounter.where(struct={"patient": pid}).perform_resources_iter(fhir.server)))
    assert [e.id for e in found] == [w.ids["Encounter"]]
    old = fhir.server.auth.access_token
    await asyncio.to_thread(fhir.reauthorize)  # the refresh token, rotated
    assert fhir.server.auth.access_token not in (None, old)
    again = await asyncio.to_thread(lambda: Patient.read(pid, fhir.server))
    assert again.id == pid
    parse = await server.api.get(f"/classes/Patient/{pid}", session=fhir.server.auth.access_token)
    assert parse.json() == {"code": 209, "error": "Invalid session token"}
