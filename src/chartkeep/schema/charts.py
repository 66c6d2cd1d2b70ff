"""Which chart a record belongs to: the templates' patient links, as data.

A chart has a root — an EHR ``Patient`` or a behavioral-health ``PatientProfile`` — and every
chart class points at its root, directly (``Encounter.patient``) or through another record
(``NoteVersion.medicalNote`` → ``MedicalNote.patient``). The care domain builds its ACL rules on
these links; the ledger uses them to name the patient of an entry.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOTS = ("Patient", "PatientProfile")


@dataclass(frozen=True, slots=True)
class ChartLink:
    root: str  # "Patient" or "PatientProfile"
    link: str | None = None  # the field pointing at the root (None: the record is the root)
    through: str | None = None  # the class ``link`` points to, whose ``patient`` is the root


LINKS: dict[str, ChartLink] = {
    "Patient": ChartLink("Patient"),
    "Encounter": ChartLink("Patient", "patient"),
    "MedicalNote": ChartLink("Patient", "patient"),
    "NoteVersion": ChartLink("Patient", "medicalNote", "MedicalNote"),
    "Signature": ChartLink("Patient", "medicalNote", "MedicalNote"),
    "Attachment": ChartLink("Patient", "patient"),
    "PatientProfile": ChartLink("PatientProfile"),
    "IntakeAssessment": ChartLink("PatientProfile", "patient"),
    "CrisisInterventionLog": ChartLink("PatientProfile", "patient"),
    "Appointment": ChartLink("PatientProfile", "patient"),
}

# Records that belong to a chart without carrying its care-team ACL: a message (its ACL names its
# two people). The rows that say who may see a chart are chart data too.
POINTER_LINKS: dict[str, ChartLink] = {"Message": ChartLink("PatientProfile", "patient")}
ACCESS_CLASSES = ("CareTeamMember", "BreakGlassAccess", "RecordGrant")


def direct_link(class_name: str) -> ChartLink | None:
    """The link of a class that points straight at its root (no ``through``)."""
    found = LINKS.get(class_name) or POINTER_LINKS.get(class_name)
    if found is None or found.link is None or found.through is not None:
        return None
    return found


def is_chart_class(class_name: str) -> bool:
    return class_name in LINKS or class_name in POINTER_LINKS or class_name in ACCESS_CLASSES
