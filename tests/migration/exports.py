"""Parse app exports written as the tests need them: Back4app's MongoDB shape (JSON lines) and the
Parse REST shape (``{"results": [...]}``), with relations, a schema and file blobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bcrypt

OLD_PASSWORD = "old-parse-pass-1"
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
PHOTO_NAME = "5f0c1a2b3c4d5e6f_photo.png"


def _date(iso: str) -> dict[str, str]:
    return {"$date": iso}


def write_lines(path: Path, docs: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))


def mongo_export(folder: Path) -> Path:
    """A small EHR app as Back4app exports it. u1 (physician, in Cardiology), u2 (no role field:
    breaks ``required``), u3 (in no role); Cardiology ⊂ Doctors; an ``admin`` role with another id
    (merged into Chartkeep's); a patient readable by u1 and Cardiology, with a photo; a signed note
    whose signature has no content hash, and a signed note with no signature (breaks a rule)."""
    folder.mkdir(parents=True, exist_ok=True)
    hashed = bcrypt.hashpw(OLD_PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    stamp = {"_created_at": _date("2021-03-04T05:06:07.089Z"), "_updated_at": _date("2022-01-02T03:04:05.678Z")}
    write_lines(folder / "_User.json", [
        {"_id": "u1", "username": "drsmith", "email": "smith@example.org", "role": "physician",
         "_hashed_password": hashed, "_rperm": ["*", "u1"], "_wperm": ["u1"], "_session_token": "r:old",
         "_email_verify_token": "t", **stamp},
        {"_id": "u2", "username": "nurse.jo", "_hashed_password": hashed, **stamp},
        {"_id": "u3", "username": "visitor", "role": "physician", "_hashed_password": hashed, **stamp},
    ])
    write_lines(folder / "_Role.json", [
        {"_id": "r1", "name": "Cardiology", "_rperm": ["*"], "_wperm": [], **stamp},
        {"_id": "r2", "name": "Doctors", "_rperm": ["*"], "_wperm": [], **stamp},
        {"_id": "r3", "name": "admin", "_rperm": ["*"], "_wperm": [], **stamp},
    ])
    write_lines(folder / "_Join:users:_Role.json", [
        {"_id": "j1", "owningId": "r1", "relatedId": "u1"}, {"_id": "j2", "owningId": "r1", "relatedId": "u2"},
        {"_id": "j3", "owningId": "r3", "relatedId": "u2"}])
    write_lines(folder / "_Join:roles:_Role.json", [{"_id": "j4", "owningId": "r2", "relatedId": "r1"}])
    write_lines(folder / "_Session.json", [{"_id": "s1", "_session_token": "r:old", "_p_user": "_User$u1"}])
    write_lines(folder / "_SCHEMA.json", [
        {"_id": "Patient", "photo": "file", "legacyChartNo": "number"},
        {"_id": "LabResult", "patient": "*Patient", "value": "number", "takenAt": "date", "flags": "array"}])
    write_lines(folder / "Patient.json", [
        {"_id": "p1", "mrn": "MRN-9001", "fullName": "Ada Lovelace", "dateOfBirth": _date("1970-01-02T00:00:00.000Z"),
         "status": "active", "_p_primaryClinician": "_User$u1", "legacyChartNo": {"$numberLong": "991"},
         "photo": PHOTO_NAME, "_rperm": ["u1", "role:Cardiology"], "_wperm": ["u1"],
         "_acl": {"u1": {"r": True, "w": True}, "role:Cardiology": {"r": True}},
         "_created_at": _date("2021-04-01T10:00:00.123Z"), "_updated_at": _date("2021-04-02T10:00:00.456Z")}])
    write_lines(folder / "LabResult.json", [
        {"_id": "lr1", "_p_patient": "Patient$p1", "value": 7.25, "takenAt": _date("2021-05-06T07:08:09.010Z"),
         "flags": ["high"], "_rperm": ["role:Doctors"], "_wperm": [], **stamp}])
    note = {"_p_patient": "Patient$p1", "_p_encounter": "Encounter$e1", "_p_author": "_User$u1",
            "noteType": "progress", "currentVersionNumber": 1, "status": "signed", "_rperm": ["u1"], "_wperm": ["u1"],
            **stamp}
    write_lines(folder / "MedicalNote.json", [{"_id": "n1", "title": "Signed, with its signature", **note},
                                              {"_id": "n2", "title": "Signed, no signature", **note}])
    write_lines(folder / "NoteVersion.json", [
        {"_id": "v1", "_p_medicalNote": "MedicalNote$n1", "versionNumber": 1, "_p_editor": "_User$u1",
         "subjective": "Chest pain on exertion.", "plan": "ECG, troponin.", "_rperm": ["u1"], "_wperm": [], **stamp}])
    write_lines(folder / "Signature.json", [
        {"_id": "s1", "_p_medicalNote": "MedicalNote$n1", "_p_noteVersion": "NoteVersion$v1", "_p_signer": "_User$u1",
         "signatureRole": "author", "status": "signed", "signedAt": _date("2021-03-05T00:00:00.000Z"),
         "_rperm": ["u1"], "_wperm": [], **stamp}])
    (folder / "files").mkdir(exist_ok=True)
    (folder / "files" / PHOTO_NAME).write_bytes(PHOTO)
    return folder


def rest_export(folder: Path) -> Path:
    """The same kind of data as ``GET /classes/<Class>`` with the master key returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Patient.json").write_text(json.dumps({"results": [
        {"objectId": "rp1", "createdAt": "2020-02-03T04:05:06.007Z", "updatedAt": "2020-02-04T04:05:06.007Z",
         "mrn": "MRN-R1", "fullName": "Grace Hopper", "status": "active",
         "dateOfBirth": {"__type": "Date", "iso": "1906-12-09T00:00:00.000Z"},
         "primaryClinician": {"__type": "Pointer", "className": "_User", "objectId": "u1"},
         "ACL": {"role:Cardiology": {"read": True, "write": True}}}]}))
    return folder
