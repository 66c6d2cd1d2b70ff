"""The canonical content of a ``NoteVersion`` and its SHA-256, the value a signature attests.

The canonical form is JSON with sorted keys, no spaces, UTF-8 (not ASCII-escaped), over exactly
the fields below, a missing field as ``null``, pointers as the target's objectId, ``createdAt``
as Parse's ISO text and numbers as JSON numbers (``1``, never ``1.0``). The version's own
objectId and its note are part of it, so a hash recorded for one version never matches another
version with the same words. Anyone holding the row can recompute it (docs/clinical.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from chartkeep.schema.dates import iso_ms

CONTENT_FIELDS = (
    "objectId", "createdAt", "medicalNote", "versionNumber", "previousVersion", "editor",
    "subjective", "objective", "assessment", "plan", "content",
    "changeSummary", "amendmentReason", "isAddendum",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical(version: dict[str, Any]) -> bytes:
    """The exact bytes hashed for a stored version row (internal form, as ``rows`` reads it)."""
    doc = {name: _plain(version.get(name)) for name in CONTENT_FIELDS}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(version: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(version)).hexdigest()
