"""POST /files/{name} and DELETE /files/{name}: Parse's contract, checks, nothing stored on refusal."""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson

from tests.conftest import APP_ID, Api
from tests.files.clinic import PDF, PNG, Clinic, open_clinic, stored


async def _nothing_stored(core: Any) -> None:
    assert await stored(core, "_File") == 0
    assert await stored(core, "_FileBlob") == 0


async def test_upload_answers_parse_shape_with_a_unique_name(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    r = await c.upload("nurse", "report.pdf", PDF)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"name", "url"}
    assert re.fullmatch(r"[0-9a-f]{32}_report\.pdf", body["name"])
    assert r.headers["location"] == body["url"]
    assert body["url"].startswith(f"http://testserver/parse/files/{APP_ID}/{body['name']}?exp=")
    again = await c.upload("nurse", "report.pdf", PDF)
    assert again.json()["name"] != body["name"]  # same name twice: two files
    assert await stored(core, "_File") == 2


async def test_the_sdk_json_form_with_credentials_in_the_body(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    body = {"base64": base64.b64encode(PNG).decode(), "_ContentType": "image/png", "fileData": {"metadata": {},
            "tags": {}}, "_ApplicationId": APP_ID, "_SessionToken": c.tokens["nurse"], "_ClientVersion": "js8.6.2"}
    r = await api.client.post("/parse/files/scan", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})
    assert r.status_code == 201, r.text
    name = r.json()["name"]
    assert name.endswith("_scan.png")  # Parse adds the extension of a known type
    _, attachment = name, (await c.attach("nurse", name)).json()["objectId"]
    got = await c.fetch(await c.url_for("nurse", attachment))
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"


async def test_only_signed_in_users_upload(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    r = await c.upload(None, "report.pdf", PDF)
    assert (r.status_code, r.json()) == (400, {"code": 130, "error": "File upload by public is disabled."})
    r = await c.upload(None, "report.pdf", PDF, **{"X-Parse-Application-Id": "wrong"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    await _nothing_stored(core)
    assert (await c.upload("master", "report.pdf", PDF)).status_code == 201


async def test_file_names_are_validated_as_parse_does(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    r = await c.upload("nurse", "bad$name.pdf", PDF)
    assert (r.status_code, r.json()) == (400, {"code": 122, "error": "Filename contains invalid characters."})
    r = await c.upload("nurse", "a" * 125 + ".pdf", PDF)
    assert r.json() == {"code": 122, "error": "Filename too long."}
    r = await api.client.post("/parse/files", content=PDF, headers={"X-Parse-Application-Id": APP_ID})
    assert r.json() == {"code": 122, "error": "Filename not provided."}
    r = await c.upload("nurse", "empty.pdf", b"")
    assert r.json() == {"code": 130, "error": "Invalid file upload."}
    await _nothing_stored(core)


async def test_size_limit_refuses_with_413_and_stores_nothing(api: Api, core: Any) -> None:
    core.settings.files_max_bytes = 1000
    c = await open_clinic(api)
    r = await c.upload("nurse", "big.pdf", b"%PDF-" + bytes(996))
    assert (r.status_code, r.json()) == (413, {"code": 130, "error": "File size exceeds the maximum of 1000 bytes."})
    body = {"base64": base64.b64encode(b"%PDF-" + bytes(996)).decode(), "_ContentType": "application/pdf",
            "_ApplicationId": APP_ID, "_SessionToken": c.tokens["nurse"]}
    r = await api.client.post("/parse/files/big.pdf", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})
    assert r.status_code == 413
    await _nothing_stored(core)
    assert (await c.upload("nurse", "fits.pdf", b"%PDF-" + bytes(995))).status_code == 201


async def test_content_types_outside_the_allow_list_or_implausible_bytes_are_refused(api: Api, core: Any) -> None:
    c = await open_clinic(api)
    cases = [
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html", "File upload of extension html is disabled."),
        ("page", b"<html></html>", "text/html", "File upload of extension html is disabled."),  # name gets .html
        ("logo", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", "File upload of extension svg is disabled."),
        ("logo.img", b"<svg/>", "image/svg+xml", "File upload of type image/svg+xml is disabled."),
        ("setup.exe", b"MZ\x90\x00\x03\x00", "application/octet-stream", "File upload of extension exe is disabled."),
        ("blob", b"MZ\x90\x00\x03\x00", "application/octet-stream",
         "File upload refused: the content looks like a program or a web page."),
        ("dump", b"<script>alert(1)</script>", "application/octet-stream",
         "File upload refused: the content looks like a program or a web page."),
        ("tool.sh", b"echo hi", "application/octet-stream", "File upload of extension sh is disabled."),
        ("notes.txt", b"<!DOCTYPE html><html>", "text/plain",
         "File upload refused: the content looks like a program or a web page."),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "text/plain",
         "File upload refused: the content looks like a program or a web page."),
        ("scan.pdf", PNG, "application/pdf", "File upload refused: the content is not a valid application/pdf file."),
        ("photo.png", PDF, "image/png", "File upload refused: the content is not a valid image/png file."),
        ("data.csv", b"a,b\n\xff\xfe\x00", "text/csv", "File upload refused: the content is not a valid text/csv file."),
    ]
    for name, data, ctype, message in cases:
        r = await c.upload("nurse", name, data, ctype)
        assert (r.status_code, r.json()) == (400, {"code": 130, "error": message}), name
    await _nothing_stored(core)
    assert (await c.upload("nurse", "vitals.csv", b"pulse,72\n", "text/csv")).status_code == 201
    assert (await c.upload("nurse", "photo.png", PNG, None)).status_code == 201  # type from the extension


async def test_allow_list_setting_widens_and_narrows(api: Api, core: Any) -> None:
    core.settings.files_allowed_types = ["image/*"]
    c = await open_clinic(api)
    assert (await c.upload("nurse", "r.pdf", PDF)).json()["code"] == 130
    assert (await c.upload("nurse", "p.png", PNG, "image/png")).status_code == 201
    core.settings.files_allowed_types = ["*"]
    r = await c.upload("nurse", "x.html", b"<html>", "text/html")  # the deny-list holds whatever the setting
    assert r.json() == {"code": 130, "error": "File upload of extension html is disabled."}


async def test_delete_needs_the_master_key(api: Api, core: Any) -> None:
    c: Clinic = await open_clinic(api)
    name, attachment = await c.attached("nurse")
    url = await c.url_for("nurse", attachment)
    h = {"X-Parse-Application-Id": APP_ID}
    r = await api.client.delete(f"/parse/files/{name}", headers={**h, "X-Parse-Session-Token": c.tokens["nurse"]})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized: master key is required"})
    assert (await c.fetch(url)).status_code == 200
    r = await api.client.delete(f"/parse/files/{name}", headers={**h, "X-Parse-Master-Key": "test-master"})
    assert (r.status_code, r.content) == (200, b"")
    await _nothing_stored(core)
    gone = await c.fetch(url)
    assert (gone.status_code, gone.text) == (404, "File not found.")
    r = await api.client.delete(f"/parse/files/{name}", headers={**h, "X-Parse-Master-Key": "test-master"})
    assert (r.status_code, r.json()) == (400, {"code": 153, "error": "Could not delete file."})


async def test_generic_declared_types_give_way_to_the_extension(api: Api, core: Any) -> None:
    """The SDK declares application/octet-stream (Buffer) or text/plain (base64 without a type);
    as Parse, the file is served with its extension's type — and must look like it."""
    c = await open_clinic(api)
    for name, data, declared, served in (("wound.png", PNG, "application/octet-stream", "image/png"),
                                         ("summary.pdf", PDF, "text/plain", "application/pdf")):
        up = await c.upload("nurse", name, data, declared)
        assert up.status_code == 201, up.text
        attachment = (await c.attach("nurse", up.json()["name"])).json()["objectId"]
        got = await c.fetch(await c.url_for("nurse", attachment))
        assert (got.headers["content-type"], got.content) == (served, data)
    r = await c.upload("nurse", "fake.png", b"GIF89a....", "application/octet-stream")
    assert r.json() == {"code": 130, "error": "File upload refused: the content is not a valid image/png file."}


async def test_octet_stream_is_accepted_and_served_as_a_download(api: Api, core: Any) -> None:
    """What the SDKs send for a byte array, and DICOM/device exports: accepted by default, served
    as a download with nosniff and the sandbox CSP, to the uploader before it is attached and to
    the care team after."""
    assert "application/octet-stream" in type(core.settings)().files_allowed_types
    c = await open_clinic(api)
    raw = bytes(range(256)) * 8 + b"\x00\xff"
    cases = (("export", "application/octet-stream", r"[0-9a-f]{32}_export\.bin"),
             ("device.dat", "application/octet-stream", r"[0-9a-f]{32}_device\.dat"),
             ("blob.bin", None, r"[0-9a-f]{32}_blob\.bin"))
    for name, declared, stored_name in cases:
        up = await c.upload("nurse", name, raw, declared)
        assert up.status_code == 201, up.text
        assert re.fullmatch(stored_name, up.json()["name"])
        for url in (up.json()["url"], None):
            if url is None:  # attached: the care team downloads it the same way
                attachment = (await c.attach("nurse", up.json()["name"])).json()["objectId"]
                url = await c.url_for("physician", attachment)
            got = await c.fetch(url)
            assert (got.status_code, got.content) == (200, raw)
            assert got.headers["content-type"] == "application/octet-stream"
            assert got.headers["content-disposition"] == f'attachment; filename="{up.json()["name"]}"'
            assert got.headers["x-content-type-options"] == "nosniff"
            assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    pdf = await c.upload("nurse", "r.pdf", PDF)
    shown = await c.fetch(pdf.json()["url"])
    assert shown.headers["content-disposition"] == f'inline; filename="{pdf.json()["name"]}"'
    # the SDK's JSON form without a type (new Parse.File(name, bytes)) is octet-stream too
    body = {"base64": base64.b64encode(raw).decode(), "_ApplicationId": APP_ID, "_SessionToken": c.tokens["nurse"]}
    r = await api.client.post("/parse/files/bytes", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})
    assert r.status_code == 201, r.text
    got = await c.fetch(r.json()["url"])
    assert (got.content, got.headers["content-disposition"].split(";")[0]) == (raw, "attachment")
    # the allow-list still decides: a deployment that removes it refuses it, storing nothing
    before = await stored(core, "_File")
    core.settings.files_allowed_types = ["application/pdf"]
    r = await c.upload("nurse", "export", raw, "application/octet-stream")
    assert (r.status_code, r.json()) == (400, {"code": 130, "error": "File upload of type application/octet-stream is disabled."})
    assert await stored(core, "_File") == before
