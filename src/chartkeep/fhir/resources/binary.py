"""Binary: an ``Attachment``'s file. The resource (``application/fhir+json``) is the file's content
type and its chart (``securityContext``); the bytes are never put in it. Asked for with the
content's own media type (any ``Accept`` without JSON), ``GET /Binary/{id}`` answers ``303 See
Other`` to the same short-lived signed download link the Parse API gives the reader — so the
download goes through the file route's checks, its decryption and its ``file_download`` ledger
entry, and the link acts only for the user it was issued to."""

from __future__ import annotations

import mimetypes
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import FhirError, not_found
from chartkeep.fhir.params import table
from chartkeep.fhir.values import drop_empty, meta, patient_ref, pointer_id, security_labels

ATTACHMENT = "Attachment"
OCTETS = "application/octet-stream"


def _file_name(obj: dict[str, Any]) -> str | None:
    file = obj.get("file")
    name = file.get("name") if isinstance(file, dict) else None
    return name if isinstance(name, str) and name else None


def binary(obj: dict[str, Any], related: dict[str, Any]) -> dict[str, Any]:
    name = _file_name(obj) or ""
    patient = pointer_id(obj.get("patient"))
    return drop_empty({
        "resourceType": "Binary",
        "id": obj["objectId"],
        "meta": meta(obj, security=security_labels(obj)),
        "contentType": mimetypes.guess_type(name)[0] or OCTETS,
        "securityContext": patient_ref("Patient", patient) if patient else None,
    })


def wants_content(accept: str | None) -> bool:
    """Whether an ``Accept`` header asks for the content itself rather than the FHIR resource."""
    kinds = [part.split(";")[0].strip().lower() for part in (accept or "").split(",") if part.strip()]
    if not kinds or all(k == "*/*" for k in kinds):
        return False
    return not any("json" in k for k in kinds)


async def download_url(core: Core, ctx: RequestContext, fhir_id: str) -> str:
    """The reader's signed link to the file (404 for an attachment it may not read, or without a file)."""
    if "-" in fhir_id:
        raise not_found("Binary", fhir_id)
    found, _ = await fetch.find(core, ctx, ATTACHMENT, {"objectId": fhir_id}, limit=1)
    file = found[0].get("file") if found else None
    url = file.get("url") if isinstance(file, dict) else None
    if not found:
        raise not_found("Binary", fhir_id)
    if not isinstance(url, str) or not url:
        raise FhirError(404, "not-found", f"Binary/{fhir_id} has no content")
    return url


BINARY = ResourceType(
    "Binary",
    (
        Source(
            ATTACHMENT, binary, root="Patient", patient_field="patient",
            params=table(("patient", "patient", "patient", "The patient whose chart holds the file"), root="Patient"),
        ),
    ),
)
