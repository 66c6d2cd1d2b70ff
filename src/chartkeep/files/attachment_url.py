"""``getAttachmentUrl``: a fresh signed download link for an ``Attachment`` the caller can read.

The Attachment is read through the normal read path (CLP + ACL = its patient's care team, or an
active break-the-glass grant); a caller who cannot read it gets Parse's 101, as for a ``get``.
Params: ``attachmentId`` (or ``attachment`` as a Pointer). Result: ``{url, name, expiresAt}``.
Reading the Attachment itself also gives a signed ``file.url``; this function suits clients that
kept only the id, or whose link has expired.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from chartkeep.auth import file_links
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.records import reads
from chartkeep.schema.dates import iso_ms

ATTACHMENT = "Attachment"


def _attachment_id(params: dict[str, Any]) -> str:
    value = params.get("attachmentId", params.get("attachment"))
    if isinstance(value, dict) and value.get("__type") == "Pointer" and value.get("className") == ATTACHMENT:
        value = value.get("objectId")
    if not isinstance(value, str) or not value:
        raise ParseError(Code.INVALID_JSON, "attachmentId is required")
    return value


async def get_attachment_url(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    attachment = await reads.get(core, ctx, ATTACHMENT, _attachment_id(params), {"keys": "file"})
    file = attachment.get("file")
    if not isinstance(file, dict) or not file.get("name"):
        raise ParseError(Code.OBJECT_NOT_FOUND, "This attachment has no file.")
    now = time.time()
    expires = datetime.fromtimestamp(int(now) + core.settings.files_url_seconds, UTC)
    return {
        "url": file_links.signed_url(core.settings, ctx, file["name"], now),
        "name": file["name"],
        "expiresAt": {"__type": "Date", "iso": iso_ms(expires)},
    }


def register(hooks: Hooks[Core]) -> None:
    hooks.define("getAttachmentUrl", get_attachment_url)
