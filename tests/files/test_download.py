"""Downloads: only through a signed, unexpired link, for someone who can read the owning Attachment."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from chartkeep.auth.file_links import signed_url
from chartkeep.context import RequestContext
from tests.conftest import APP_ID, Api
from tests.files.clinic import PDF, open_clinic


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


async def test_bytes_round_trip_exactly_through_a_signed_link(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    r = await api.get(f"/classes/Attachment/{attachment}", session=c.tokens["physician"])
    file = r.json()["file"]
    assert file["__type"] == "File" and file["name"] == name
    query = parse_qs(urlsplit(file["url"]).query)
    assert set(query) == {"exp", "u", "sig"} and query["u"] == [c.ids["physician"]]
    assert 290 <= int(query["exp"][0]) - time.time() <= 300
    got = await c.fetch(file["url"])
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "private, no-store"
    # a find signs every file it shows, for this reader
    found = await api.get("/classes/Attachment", session=c.tokens["nurse"])
    url = found.json()["results"][0]["file"]["url"]
    assert parse_qs(urlsplit(url).query)["u"] == [c.ids["nurse"]]
    assert (await c.fetch(url)).content == PDF


async def test_outsider_gets_no_link_and_cannot_use_a_colleagues(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    r = await api.get(f"/classes/Attachment/{attachment}", session=c.tokens["outsider"])
    assert (r.status_code, r.json()["code"]) == (404, 101)
    assert (await api.get("/classes/Attachment", session=c.tokens["outsider"])).json() == {"results": []}
    r = await api.post("/functions/getAttachmentUrl", {"attachmentId": attachment}, session=c.tokens["outsider"])
    assert r.json() == {"code": 101, "error": "Object not found."}
    url = await c.url_for("nurse", attachment)
    # the link names the nurse: rewriting it for the outsider breaks the signature
    forged = await c.fetch(_with(url, u=c.ids["outsider"]))
    assert (forged.status_code, forged.json()) == (403, {"code": 119, "error": "Permission denied: this file link is invalid."})
    # presenting the outsider's own session with the nurse's link is refused too
    r = await c.fetch(url, **{"X-Parse-Session-Token": c.tokens["outsider"]})
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Permission denied: this file link was issued to another user."})
    assert PDF not in r.content
    assert (await c.fetch(url, **{"X-Parse-Session-Token": c.tokens["nurse"]})).status_code == 200


async def test_tampered_expired_and_unsigned_links_are_refused(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    url = await c.url_for("nurse", attachment)
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    invalid = {"code": 119, "error": "Permission denied: this file link is invalid."}
    for bad in (_with(url, sig=("A" if sig[0] != "A" else "B") + sig[1:]),
                _with(url, exp=str(int(time.time()) + 86400)),
                url.replace(name, name[:-4] + ".txt")):
        r = await c.fetch(bad)
        assert (r.status_code, r.json()) == (403, invalid), bad
    parts = urlsplit(url)
    r = await c.fetch(parts.path)
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Permission denied: a file is downloaded through a signed link."})
    ctx = RequestContext(APP_ID, user={"objectId": c.ids["nurse"]}, base_url="http://testserver/parse")
    old = signed_url(core.settings, ctx, name, now=time.time() - 301)
    r = await c.fetch(old)
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Permission denied: this file link has expired."})
    r = await api.client.get(parts.path.replace(f"/{APP_ID}/", "/other-app/") + "?" + parts.query)
    assert (r.status_code, r.json()) == (403, {"code": 119, "error": "Invalid application ID."})


async def test_a_link_stops_working_when_its_user_leaves_the_care_team(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    _, attachment = await c.attached("physician")
    url = await c.url_for("nurse", attachment)
    assert (await c.fetch(url)).status_code == 200
    where = orjson.dumps({"user": {"__type": "Pointer", "className": "_User", "objectId": c.ids["nurse"]}}).decode()
    member = (await api.get("/classes/CareTeamMember", params={"where": where}, master=True)).json()["results"][0]
    assert (await api.delete(f"/classes/CareTeamMember/{member['objectId']}", session=c.tokens["physician"])).status_code == 200
    r = await c.fetch(url)
    assert (r.status_code, r.json()) == (
        403, {"code": 119, "error": "Permission denied: you cannot read any object holding this file."})


async def test_the_uploader_previews_an_upload_before_it_is_attached_and_nobody_else(api: Api, core: Any) -> None:
    from tests.audit.helpers import entries_after, head

    c = await open_clinic(api)
    up = await c.upload("nurse", "loose.pdf", PDF)
    name, own_url = up.json()["name"], up.json()["url"]
    start = await head(core)
    r = await c.fetch(own_url)  # the uploader's own link, before the file is attached: the SDKs' preview
    assert (r.status_code, r.content, r.headers["content-type"]) == (200, PDF, "application/pdf")
    assert (await c.fetch(own_url, **{"X-Parse-Session-Token": c.tokens["nurse"]})).content == PDF
    refused = {"code": 119, "error": "Permission denied: you cannot read any object holding this file."}
    for who in ("physician", "outsider"):  # a colleague, or anyone else, with a link of their own
        ctx = RequestContext(APP_ID, user={"objectId": c.ids[who]}, base_url="http://testserver/parse")
        r = await c.fetch(signed_url(core.settings, ctx, name))
        assert (r.status_code, r.json()) == (403, refused) and PDF not in r.content
        r = await c.fetch(own_url, **{"X-Parse-Session-Token": c.tokens[who]})  # or the uploader's link
        assert r.status_code == 403 and PDF not in r.content
    public = RequestContext(APP_ID, base_url="http://testserver/parse")
    r = await c.fetch(signed_url(core.settings, public, name))
    assert (r.status_code, r.json()) == (403, refused)
    master = RequestContext(APP_ID, is_master=True, base_url="http://testserver/parse")
    got = await c.fetch(signed_url(core.settings, master, name))
    assert (got.status_code, got.content) == (200, PDF)  # the master key reads any file
    downloads = [e for e in await entries_after(core, start) if e[0] == "file_download"]
    assert downloads[:2] == [("file_download", c.ids["nurse"], None, "_File", name, "success")] * 2
    # each refusal names the link's user: a link presented with another's session names its own
    assert [e[1] for e in downloads if e[5] == "failure"] == [c.ids["physician"], c.ids["nurse"],
                                                              c.ids["outsider"], c.ids["nurse"], None]

    # once an object holds the file, that object's readers decide: the care team, not the outsider
    assert (await c.attach("nurse", name)).status_code == 201
    assert (await c.fetch(own_url)).content == PDF
    ctx = RequestContext(APP_ID, user={"objectId": c.ids["physician"]}, base_url="http://testserver/parse")
    assert (await c.fetch(signed_url(core.settings, ctx, name))).content == PDF
    ctx = RequestContext(APP_ID, user={"objectId": c.ids["outsider"]}, base_url="http://testserver/parse")
    assert (await c.fetch(signed_url(core.settings, ctx, name))).status_code == 403


async def test_an_attached_file_is_not_previewed_by_an_uploader_who_cannot_read_its_holder(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    up = (await c.upload("nurse", "loose.pdf", PDF)).json()
    assert (await c.fetch(up["url"])).content == PDF
    # the master key files it in an object only the physician reads: the preview is over
    body = {"patient": {"__type": "Pointer", "className": "Patient", "objectId": c.patient},
            "file": {"__type": "File", "name": up["name"]}, "category": "lab", "uploadedBy": c.user("physician"),
            "ACL": {c.ids["physician"]: {"read": True, "write": True}}}
    assert (await api.post("/classes/Attachment", body, master=True)).status_code == 201
    r = await c.fetch(up["url"])
    assert (r.status_code, r.json()) == (
        403, {"code": 119, "error": "Permission denied: you cannot read any object holding this file."})


async def test_get_attachment_url_function(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    r = await api.post("/functions/getAttachmentUrl", {"attachmentId": attachment}, session=c.tokens["physician"])
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    assert result["name"] == name and result["expiresAt"]["__type"] == "Date"
    assert (await c.fetch(result["url"])).content == PDF
    pointer = {"__type": "Pointer", "className": "Attachment", "objectId": attachment}
    r = await api.post("/functions/getAttachmentUrl", {"attachment": pointer}, session=c.tokens["nurse"])
    assert (await c.fetch(r.json()["result"]["url"])).content == PDF
    r = await api.post("/functions/getAttachmentUrl", {}, session=c.tokens["nurse"])
    assert r.json() == {"code": 107, "error": "attachmentId is required"}


async def test_only_the_uploader_puts_a_file_in_an_object(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    # the outsider learned the name: attaching it to a chart of their own must not reach the bytes
    other = await api.post("/classes/Patient", {"mrn": "MRN-F2", "fullName": "Other", "status": "active",
                                                 "dateOfBirth": {"__type": "Date", "iso": "1990-01-01T00:00:00.000Z"}},
                           session=c.tokens["outsider"])
    assert other.status_code == 201, other.text
    body = {"patient": {"__type": "Pointer", "className": "Patient", "objectId": other.json()["objectId"]},
            "file": {"__type": "File", "name": name}, "category": "lab", "uploadedBy": c.user("outsider")}
    r = await api.post("/classes/Attachment", body, session=c.tokens["outsider"])
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": f"Permission denied: {name} is not a file you uploaded."})
    r = await api.post("/classes/Attachment", {**body, "file": {"__type": "File", "name": "nope.pdf"}},
                       session=c.tokens["outsider"])
    assert r.json()["code"] == 119
    # the Attachment's writer (uploadedBy) may re-send the file it holds, though another uploaded it
    up = (await c.upload("physician", "ecg.pdf", PDF)).json()["name"]
    r = await c.attach("physician", up, uploadedBy=c.user("nurse"))
    assert r.status_code == 201, r.text
    held = r.json()["objectId"]
    r = await api.put(f"/classes/Attachment/{held}", {"category": "imaging", "file": {"__type": "File", "name": up}},
                      session=c.tokens["nurse"])
    assert r.status_code == 200, r.text
    mine = (await c.upload("outsider", "mine.pdf", PDF)).json()["name"]
    r = await api.put(f"/classes/Attachment/{held}", {"file": {"__type": "File", "name": mine}}, session=c.tokens["nurse"])
    assert r.json() == {"code": 119, "error": f"Permission denied: {mine} is not a file you uploaded."}
    r = await api.put(f"/classes/Attachment/{held}", {"file": {"__type": "File", "name": name}}, session=c.tokens["nurse"])
    assert r.status_code == 200  # the nurse's own upload


async def test_the_download_knows_patient_and_attachment_for_its_audit_entry(api: Api, core: Any) -> None:
    from chartkeep.auth.link_principal import context_for_link
    from chartkeep.files import store as files

    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    url = urlsplit(await c.url_for("physician", attachment))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}

    async def context_for(link):  # type: ignore[no-untyped-def]
        return await context_for_link(core, link, "10.1.2.3", "http://testserver/parse")

    got = await files.open_download(core, files.DownloadRequest(name, query, "10.1.2.3"), context_for)
    assert got.data == PDF and got.meta.owner == c.ids["nurse"]
    assert (got.holder.class_name, got.holder.attachment_id, got.holder.patient_id) == (
        "Attachment", attachment, c.patient)


async def test_every_download_attempt_is_in_the_ledger(api: Api, core: Any) -> None:
    from tests.audit.helpers import entries_after, head

    c = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    url = await c.url_for("physician", attachment)
    start = await head(core)
    assert (await c.fetch(url)).status_code == 200
    assert (await c.fetch(_with(url, sig="0" * 64))).status_code == 403
    downloads = [e for e in await entries_after(core, start) if e[0] == "file_download"]
    assert downloads == [
        ("file_download", c.ids["physician"], c.patient, "Attachment", attachment, "success"),
        ("file_download", None, c.patient, "Attachment", attachment, "failure"),  # a tampered link names nobody
    ]
