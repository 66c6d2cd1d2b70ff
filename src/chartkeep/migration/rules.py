"""The clinical rules an import checks on the records it reads (docs/migration.md, "Rules").

An import does not run the write pipeline's hooks: they decide what a *new* write may do (who
signs, which move a status makes), and an imported record was written long ago. What must hold
of a stored record is checked instead, and a record that breaks it is reported — never fixed:

- ``required``: every field the class requires has a value;
- ``signed-note-signature``: a ``MedicalNote`` with status ``signed`` has a signed ``Signature``;
- ``signature-version``: a signed ``Signature`` names a ``NoteVersion`` of its note that is imported.

A signed ``Signature`` gets the content hash of the version it signed (``contentHash``, as the
signing flow records it) when the export has none, so ``chartkeep audit verify`` checks it from
then on; a recorded hash that differs from the content is reported (``signature-content``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.clinical.note_content import content_hash
from chartkeep.schema.model import ClassSchema

NOTE, VERSION, SIGNATURE = "MedicalNote", "NoteVersion", "Signature"
SIGNED = "signed"


@dataclass(frozen=True)
class Finding:
    class_name: str
    object_id: str
    rule: str
    message: str


def _required(schema: ClassSchema, row: dict[str, Any]) -> list[Finding]:
    return [Finding(schema.name, row["objectId"], "required", f"{name} is required")
            for name, spec in schema.fields.items()
            if spec.required and spec.default is None and row.get(name) is None and spec.type != "Relation"]


def check(schemas: dict[str, ClassSchema], rows: dict[str, list[dict[str, Any]]]) -> list[Finding]:
    """Every rule over every row (rows by class, internal form). Signed signatures without a hash
    get theirs here, in place."""
    findings: list[Finding] = []
    for class_name, class_rows in rows.items():
        schema = schemas[class_name]
        for row in class_rows:
            findings.extend(_required(schema, row))
    versions = {v["objectId"]: v for v in rows.get(VERSION, [])}
    signed_notes: set[str] = set()
    hashes = SIGNATURE in schemas and "contentHash" in schemas[SIGNATURE].fields
    for sig in rows.get(SIGNATURE, []):
        if sig.get("status") != SIGNED:
            continue
        version = versions.get(sig.get("noteVersion") or "")
        if version is None or version.get("medicalNote") != sig.get("medicalNote"):
            findings.append(Finding(SIGNATURE, sig["objectId"], "signature-version",
                                    "a signed Signature names a NoteVersion of its note that is imported"))
            continue
        signed_notes.add(sig.get("medicalNote") or "")
        if not hashes:
            continue
        actual = content_hash(version)
        if sig.get("contentHash") is None:
            sig["contentHash"] = actual
        elif sig["contentHash"] != actual:
            findings.append(Finding(SIGNATURE, sig["objectId"], "signature-content",
                                    "the signed content changed after signing"))
    for note in rows.get(NOTE, []):
        if note.get("status") == SIGNED and note["objectId"] not in signed_notes:
            findings.append(Finding(NOTE, note["objectId"], "signed-note-signature",
                                    "a signed MedicalNote has a signed Signature"))
    return findings
