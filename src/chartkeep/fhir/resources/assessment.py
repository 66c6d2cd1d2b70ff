"""Observation and QuestionnaireResponse for the scored instruments (PHQ-9, GAD-7) of an
``IntakeAssessment``: the answers as a QuestionnaireResponse (LOINC items and answer codes), the
total score and severity as an Observation (LOINC total-score code, category ``survey``). Both ids
are the assessment's objectId; free-form assessments are neither."""

from __future__ import annotations

import re
from typing import Any

from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import invalid, not_supported
from chartkeep.fhir.params import NOTHING, Clause, Compile, Row, split, table
from chartkeep.fhir.values import drop_empty, iso, meta, patient_ref, pointer_id, security_labels, user_ref

LOINC = "http://loinc.org"


class Loinc:
    def __init__(self, name: str, panel: str, total: str, total_display: str, items: tuple[str, ...],
                 pattern: str) -> None:
        self.name, self.panel, self.total, self.total_display = name, panel, total, total_display
        self.items, self.pattern = items, pattern


PHQ9 = Loinc("PHQ-9", "44249-1", "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
             ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"),
             r"^\s*phq[\s-]*9\s*$")
GAD7 = Loinc("GAD-7", "69737-5", "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
             ("69725-0", "68509-1", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
             r"^\s*gad[\s-]*7\s*$")
ANSWERS = (("LA6568-5", "Not at all"), ("LA6569-3", "Several days"), ("LA6570-1", "More than half the days"),
           ("LA6571-9", "Nearly every day"))
SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey",
                      "display": "Survey"}]}


def instrument(obj: dict[str, Any]) -> Loinc | None:
    data = obj.get("data")
    name = data.get("instrument") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return None
    return next((i for i in (PHQ9, GAD7) if re.match(i.pattern, name, re.IGNORECASE)), None)


def _answers(obj: dict[str, Any], count: int) -> list[int | None]:
    data = obj.get("data")
    raw = data.get("answers") if isinstance(data, dict) else None
    if isinstance(raw, list):
        return [a if isinstance(a, int) else None for a in raw[:count]]
    if isinstance(raw, dict):
        return [raw.get(f"item{n}") if isinstance(raw.get(f"item{n}"), int) else None for n in range(1, count + 1)]
    return []


def _subject(obj: dict[str, Any]) -> dict[str, str] | None:
    found = pointer_id(obj.get("patient"))
    return patient_ref("PatientProfile", found) if found else None


def _when(obj: dict[str, Any]) -> str | None:
    return iso(obj.get("submittedAt")) or iso(obj.get("assessmentDate")) or iso(obj.get("createdAt"))


def _by_patient(obj: dict[str, Any]) -> bool:
    return obj.get("respondent") == "patient"


def observation(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    found = instrument(obj) or PHQ9
    subject = _subject(obj)
    return drop_empty({
        "resourceType": "Observation",
        "id": obj["objectId"],
        "meta": meta(obj, security=security_labels(obj)),
        "status": "final" if obj.get("status") == "completed" else "preliminary",
        "category": [SURVEY],
        "code": {"coding": [{"system": LOINC, "code": found.total, "display": found.total_display}],
                 "text": f"{found.name} total score"},
        "subject": subject,
        "effectiveDateTime": _when(obj),
        "performer": [subject if _by_patient(obj) else user_ref(obj.get("assessor"))],
        "valueInteger": obj.get("totalScore") if isinstance(obj.get("totalScore"), int) else None,
        "interpretation": [{"text": obj.get("severity")}] if obj.get("severity") else [],
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{obj['objectId']}"}],
    })


def questionnaire_response(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    found = instrument(obj) or PHQ9
    items: list[dict[str, Any]] = []
    for code, answer in zip(found.items, _answers(obj, len(found.items)), strict=False):
        item: dict[str, Any] = {"linkId": code}
        if answer is not None and 0 <= answer < len(ANSWERS):
            item["answer"] = [{"valueCoding": {"system": LOINC, "code": ANSWERS[answer][0],
                                               "display": ANSWERS[answer][1]}}]
        items.append(item)
    if isinstance(obj.get("totalScore"), int):
        items.append({"linkId": found.total, "answer": [{"valueInteger": obj["totalScore"]}]})
    subject = _subject(obj)
    return drop_empty({
        "resourceType": "QuestionnaireResponse",
        "id": obj["objectId"],
        "meta": meta(obj, security=security_labels(obj)),
        "questionnaire": f"http://loinc.org/q/{found.panel}",
        "status": "completed" if obj.get("status") == "completed" else "in-progress",
        "subject": subject,
        "authored": _when(obj),
        "author": subject if _by_patient(obj) else user_ref(obj.get("assessor")),
        "source": subject if _by_patient(obj) else None,
        "item": items,
    })


def _code(instruments: dict[str, Loinc]) -> Compile:
    """``code=http://loinc.org|44261-6`` (or the bare code): the assessments of that instrument (the
    stored name, matched as the server scores it: case, spaces and hyphens ignored)."""

    def compile_(value: str, modifier: str | None) -> Clause:
        if modifier is not None:
            raise not_supported(f"The modifier :{modifier} is not supported on code")
        alternatives: list[Clause] = []
        for item in split(value):
            system, bar, code = item.rpartition("|")
            if bar and system and system != LOINC:
                continue
            if code not in instruments:
                raise invalid(f"Unknown code {code!r}: one of {', '.join(instruments)}")
            alternatives.append({"data.instrument": {"$regex": instruments[code].pattern, "$options": "i"}})
        if not alternatives:
            return NOTHING
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}

    return compile_


def _rows(date: str, status: dict[str, tuple[str, ...]]) -> tuple[Row, ...]:
    """The rows Observation and QuestionnaireResponse share (their date's name and status codes differ)."""
    return (
        (("patient", "subject"), "patient", "patient", "The patient (Patient/bh-…)"),
        (date, "date", "assessmentDate", "When it was assessed"),
        ("status", "token", "status", "Status", {"codes": status}),
    )


OBSERVATION = ResourceType(
    "Observation",
    (
        Source(
            "IntakeAssessment", observation, root="PatientProfile", patient_field="patient",
            includes={"patient": "patient", "subject": "patient", "performer": "assessor"},
            where={"totalScore": {"$exists": True}},
            params=table(
                *_rows("date", {"final": ("completed",), "preliminary": ("pending",)}),
                ("code", "token", _code({PHQ9.total: PHQ9, GAD7.total: GAD7}),
                 "The instrument's total-score LOINC code (44261-6 PHQ-9, 70274-6 GAD-7)"),
                root="PatientProfile",
            ),
            sorts={"date": "assessmentDate"},
        ),
    ),
    profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-survey",
)

QUESTIONNAIRE_RESPONSE = ResourceType(
    "QuestionnaireResponse",
    (
        Source(
            "IntakeAssessment", questionnaire_response, root="PatientProfile", patient_field="patient",
            includes={"patient": "patient", "subject": "patient", "author": "assessor"},
            where={"$or": [{"totalScore": {"$exists": True}}, {"respondent": "patient"}]},
            params=table(*_rows("authored", {"completed": ("completed",), "in-progress": ("pending",)}),
                         root="PatientProfile"),
            sorts={"authored": "assessmentDate"},
        ),
    ),
    profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse",
)
