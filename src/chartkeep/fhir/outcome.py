"""Errors as FHIR sees them: every failure is an ``OperationOutcome`` with an HTTP status.

``FhirError`` is raised by the FHIR layer itself; ``from_parse`` maps a ``ParseError`` of the
shared pipeline (the same refusal the Parse API would give) to the status and issue code a FHIR
client expects, keeping the Parse code in the diagnostics.
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError, Unauthorized


class FhirError(Exception):
    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


def invalid(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def not_supported(diagnostics: str) -> FhirError:
    return FhirError(400, "not-supported", diagnostics)


def not_found(resource_type: str, fhir_id: str) -> FhirError:
    return FhirError(404, "not-found", f"{resource_type}/{fhir_id} is not known")


# Parse code -> (HTTP status, OperationOutcome issue code)
_PARSE: dict[int, tuple[int, str]] = {
    Code.OBJECT_NOT_FOUND: (404, "not-found"),
    Code.OPERATION_FORBIDDEN: (403, "forbidden"),
    Code.INVALID_SESSION_TOKEN: (401, "login"),
    Code.SESSION_MISSING: (401, "login"),
    Code.VALIDATION_ERROR: (422, "business-rule"),
    Code.DUPLICATE_VALUE: (409, "duplicate"),
    Code.REQUEST_LIMIT_EXCEEDED: (429, "throttled"),
    Code.CONNECTION_FAILED: (429, "throttled"),
    Code.OBJECT_TOO_LARGE: (413, "too-costly"),
    Code.TIMEOUT: (408, "timeout"),
}


def from_exception(exc: Exception) -> FhirError | None:
    """The FHIR error for an exception of the shared pipeline, or None when it is a bug."""
    if isinstance(exc, FhirError):
        return exc
    if isinstance(exc, Unauthorized):
        return FhirError(403, "forbidden", "Permission denied")
    if isinstance(exc, ParseError):
        status, code = _PARSE.get(exc.code, (400, "invalid"))
        if exc.code == Code.OBJECT_NOT_FOUND:
            return FhirError(status, code, "Resource not found")  # never says whether it exists
        return FhirError(status, code, f"{exc.message} (Parse code {exc.code})")
    return None


def outcome(error: FhirError) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": error.code, "diagnostics": error.diagnostics}],
    }
