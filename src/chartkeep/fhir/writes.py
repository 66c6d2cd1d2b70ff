"""FHIR create/update for Patient, Encounter, Appointment and Communication, mapped onto the Parse
classes and written through ``records.writes`` — the same pipeline, hooks, rules, ledger entries
and LiveQuery events as a Parse write. Notes are not written through FHIR (the clinical workflow
writes them). An update sets the elements the resource carries; the mapped fields it leaves out
are kept as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch, service
from chartkeep.fhir.outcome import FhirError, invalid
from chartkeep.fhir.params import date_range
from chartkeep.fhir.resources.appointment import STATUS_VALUES as APPOINTMENT_STATUS
from chartkeep.fhir.resources.encounter import STATUS_VALUES as ENCOUNTER_STATUS
from chartkeep.fhir.resources.patient import BIRTHSEX, PROFILE_MRN_SYSTEM
from chartkeep.fhir.values import parse_date, parse_patient, parse_reference, pointer
from chartkeep.records import writes

Body = dict[str, Any]


def _objects(resource: Body, key: str) -> list[Body]:
    """A list element of the resource: absent is empty; anything but a list of objects is 400."""
    value = resource.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise invalid(f"{key} must be a list of objects")
    return value


def _object(resource: Body, key: str) -> Body:
    """An object element of the resource: absent is empty; anything but an object is 400."""
    value = resource.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"{key} must be an object")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{what} must be a non-empty string")
    return value


def _date(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, str):
        raise invalid(f"{what} must be a FHIR date or dateTime")
    low, _ = date_range(value.replace("+00:00", "Z"))
    return parse_date(low.strftime("%Y-%m-%dT%H:%M:%S.") + f"{low.microsecond // 1000:03d}Z")


def _patient_pointer(ref: Any, root: str) -> dict[str, str]:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        raise invalid("subject must be a reference to a Patient")
    ref_root, object_id = parse_patient(parse_reference(ref["reference"], "Patient"))
    if ref_root != root:
        kind = "a behavioral-health patient (Patient/bh-…)" if root == "PatientProfile" else "an EHR patient"
        raise FhirError(422, "business-rule", f"This resource belongs to {kind}")
    return pointer(root, object_id)


def _user_pointer(ref: Any, what: str) -> dict[str, str]:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        raise invalid(f"{what} must be a reference to a Practitioner")
    return pointer("_User", parse_reference(ref["reference"], "Practitioner"))


def _name(resource: Body) -> str | None:
    if resource.get("name") is None:
        return None
    names = _objects(resource, "name")
    if not names:
        raise invalid("name must be a list of HumanName")
    first = names[0]
    if isinstance(first.get("text"), str) and first["text"].strip():
        return str(first["text"])
    given = first.get("given") or []
    parts = [*(g for g in given if isinstance(g, str)), first.get("family")]
    text = " ".join(p for p in parts if isinstance(p, str) and p)
    return _text(text, "name")


def _mrn(resource: Body) -> tuple[str | None, str | None]:
    for identifier in _objects(resource, "identifier"):
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            return identifier.get("system"), identifier["value"]
    return None, None


def patient_body(resource: Body, root: str) -> Body:
    body: Body = {}
    _, mrn = _mrn(resource)
    name = _name(resource)
    if root == "Patient":
        if mrn is not None:
            body["mrn"] = mrn
        if name is not None:
            body["fullName"] = name
        sex = next((e.get("valueCode") for e in _objects(resource, "extension")
                    if isinstance(e, dict) and e.get("url") == BIRTHSEX), None)
        gender = {"M": "male", "F": "female", "UNK": "unknown"}.get(sex) if sex else resource.get("gender")
        if gender is not None:
            body["sexAtBirth"] = _text(gender, "gender")
        if "active" in resource:
            body["status"] = "active" if resource["active"] is True else "inactive"
        if resource.get("generalPractitioner"):
            body["primaryClinician"] = _user_pointer(resource["generalPractitioner"][0], "generalPractitioner")
    else:
        if mrn is not None:
            body["medicalRecordNumber"] = mrn
        if name is not None:
            body["displayName"] = name
        if "active" in resource:
            body["isActive"] = resource["active"] is True
        org = _object(resource, "managingOrganization")
        if isinstance(org.get("display"), str):
            body["primaryClinic"] = org["display"]
    if "birthDate" in resource:
        body["dateOfBirth"] = _date(resource["birthDate"], "birthDate")
    return body


_CLASS = {"IMP": "inpatient", "EMER": "emergency", "AMB": "outpatient", "VR": "virtual", "HH": "home"}


def encounter_body(resource: Body, root: str) -> Body:
    body: Body = {}
    if "subject" in resource:
        body["patient"] = _patient_pointer(resource["subject"], "Patient")
    if "status" in resource:
        stored = ENCOUNTER_STATUS.get(resource["status"])
        if stored is None:
            raise invalid(f"Unknown Encounter status {resource['status']!r}")
        body["status"] = stored[0]
    kinds = [t.get("text") for t in _objects(resource, "type") if isinstance(t, dict) and t.get("text")]
    klass = _object(resource, "class")
    if kinds:
        body["type"] = kinds[0]
    elif isinstance(klass, dict) and klass.get("code") in _CLASS:
        body["type"] = _CLASS[klass["code"]]
    for identifier in _objects(resource, "identifier"):
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            body["encounterNumber"] = identifier["value"]
    period = _object(resource, "period")
    if period.get("start"):
        body["startedAt"] = _date(period["start"], "period.start")
    if period.get("end"):
        body["endedAt"] = _date(period["end"], "period.end")
    participants = _objects(resource, "participant")
    if participants and isinstance(participants[0], dict) and participants[0].get("individual"):
        body["admittingClinician"] = _user_pointer(participants[0]["individual"], "participant.individual")
    service_type = _object(resource, "serviceType")
    if service_type.get("text"):
        body["department"] = service_type["text"]
    return body


def appointment_body(resource: Body, root: str) -> Body:
    body: Body = {}
    patient_status = None
    for participant in _objects(resource, "participant"):
        actor = participant.get("actor") if isinstance(participant, dict) else None
        ref = actor.get("reference") if isinstance(actor, dict) else None
        if not isinstance(ref, str):
            continue
        if ref.split("/")[-2:-1] == ["Patient"]:
            body["patient"] = _patient_pointer(actor, "PatientProfile")
            patient_status = participant.get("status")
        else:
            body["provider"] = _user_pointer(actor, "participant.actor")
    if "status" in resource:
        stored = APPOINTMENT_STATUS.get(resource["status"])
        if stored is None:
            raise invalid(f"Appointment status {resource['status']!r} is not kept: one of "
                          f"{', '.join(APPOINTMENT_STATUS)}")
        body["status"] = "confirmed" if resource["status"] == "booked" and patient_status == "accepted" else stored[0]
    if "start" in resource:
        body["startAt"] = _date(resource["start"], "start")
    if "end" in resource:
        body["endAt"] = _date(resource["end"], "end")
    if "description" in resource:
        body["reason"] = resource["description"]
    return body


def _party(ref: Any, what: str) -> dict[str, str]:
    """A Practitioner, or a behavioral-health Patient (whose account is resolved before writing)."""
    reference = ref.get("reference") if isinstance(ref, dict) else None
    if isinstance(reference, str) and reference.split("/")[-2:-1] == ["Patient"]:
        return {"__fhir_patient": _patient_pointer(ref, "PatientProfile")["objectId"]}
    return _user_pointer(ref, what)


async def _patient_accounts(core: Core, ctx: RequestContext, body: Body) -> None:
    """``Patient/bh-…`` as a message's party is the profile's own account, read as the caller may."""
    for key in ("from", "to"):
        value = body.get(key)
        if isinstance(value, dict) and "__fhir_patient" in value:
            found, _ = await fetch.find(core, ctx, "PatientProfile", {"objectId": value["__fhir_patient"]}, limit=1)
            user = found[0].get("user") if found else None
            if not isinstance(user, dict) or not user.get("objectId"):
                raise FhirError(422, "business-rule", f"{key}: that patient has no account to message")
            body[key] = pointer("_User", str(user["objectId"]))


def communication_body(resource: Body, root: str) -> Body:
    body: Body = {}
    if "subject" in resource:
        body["patient"] = _patient_pointer(resource["subject"], "PatientProfile")
    if resource.get("sender"):
        body["from"] = _party(resource["sender"], "sender")
    recipients = _objects(resource, "recipient")
    if recipients:
        body["to"] = _party(recipients[0], "recipient")
    payload = _objects(resource, "payload")
    if payload:
        body["body"] = _text(payload[0].get("contentString") if isinstance(payload[0], dict) else None,
                             "payload.contentString")
    for identifier in _objects(resource, "identifier"):
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str):
            body["conversationId"] = identifier["value"]
    codes = [c.get("code") for c in _objects(_object(resource, "statusReason"), "coding")]
    if codes and codes[0] in ("delivered", "read"):
        body["status"] = codes[0]
    if "sent" in resource:
        body["sentAt"] = _date(resource["sent"], "sent")
    return body


Mapper = Callable[[Body, str], Body]
MAPPERS: dict[str, Mapper] = {
    "Patient": patient_body, "Encounter": encounter_body, "Appointment": appointment_body,
    "Communication": communication_body,
}
CLASSES = {"Encounter": "Encounter", "Appointment": "Appointment", "Communication": "Message"}


def _check(type_name: str, resource: Any) -> Mapper:
    if type_name not in MAPPERS:
        service.resource_type(type_name)
        raise FhirError(405, "not-supported", f"{type_name} is read-only through FHIR")
    if not isinstance(resource, dict) or resource.get("resourceType") != type_name:
        raise invalid(f"The body must be a {type_name} resource")
    mapper = MAPPERS[type_name]

    def shaped(body: Body, root: str) -> Body:
        """An element of the wrong JSON shape (a string for an object, an object for a list) is 400."""
        try:
            return mapper(body, root)
        except (AttributeError, TypeError, KeyError, IndexError) as exc:
            raise invalid(f"Malformed {type_name}: an element has the wrong shape ({exc})") from None

    return shaped


async def create(core: Core, ctx: RequestContext, type_name: str, resource: Any) -> Body:
    mapper = _check(type_name, resource)
    if type_name == "Patient":
        system, _ = _mrn(resource)
        root = "PatientProfile" if system == PROFILE_MRN_SYSTEM else "Patient"
    else:
        root = CLASSES[type_name]
    body = mapper(resource, root)
    if type_name == "Communication":
        body.setdefault("isRead", False)  # a new message is unread; its receipts move it
        if "from" not in body and ctx.user_id:
            body["from"] = pointer("_User", ctx.user_id)
        await _patient_accounts(core, ctx, body)
    created = await writes.create(core, ctx, root, body)
    fhir_id = ("bh-" if root == "PatientProfile" else "") + str(created["objectId"])
    return await service.read(core, ctx, type_name, fhir_id)


async def update(core: Core, ctx: RequestContext, type_name: str, fhir_id: str, resource: Any) -> Body:
    mapper = _check(type_name, resource)
    if resource.get("id") != fhir_id:
        raise invalid(f"The resource's id ({resource.get('id')!r}) must be the id in the URL ({fhir_id!r})")
    if type_name == "Patient":
        root, object_id = parse_patient(fhir_id)
    else:
        root, object_id = CLASSES[type_name], fhir_id
    body = mapper(resource, root)
    if type_name == "Communication":  # a sent message is frozen; only its receipt moves
        body = {k: v for k, v in body.items() if k == "status"}
    if body:
        await writes.update(core, ctx, root, object_id, body)
    return await service.read(core, ctx, type_name, fhir_id)



