"""``@cloud.before_save_file`` / ``@cloud.after_save_file`` on the hook registry (``POST /files``).

``req.file`` is ``{"name", "content_type", "size", "data"}`` (``data``: the bytes). A
``before_save_file`` runs after the built-in file checks (name, size, allowed type, content
sniffing); it may change ``name``, ``content_type`` or ``data`` — the checks run again on what it
leaves, so it cannot store what a client could not upload — or refuse the upload by raising. An
``after_save_file`` gets the stored file (``name`` is the stored name); its failures are logged.
"""

from __future__ import annotations

import logging

from chartkeep.cloud.declare import TriggerSpec
from chartkeep.cloud.requests import CloudRequest
from chartkeep.cloud.run import invoke
from chartkeep.core.handles import Core
from chartkeep.core.hooks import FileEvent, FileHook
from chartkeep.errors import Code, ParseError

log = logging.getLogger("chartkeep.cloud")


class FileRequest(CloudRequest):
    def __init__(self, core: Core, event: FileEvent, kind: str) -> None:
        super().__init__(core, event.ctx, kind)
        self.trigger_name = kind
        self.file = {"name": event.stored or event.name, "content_type": event.content_type,
                     "size": len(event.data), "data": event.data}


def file_hook(spec: TriggerSpec, timeout: float | None) -> FileHook[Core]:
    async def hook(core: Core, event: FileEvent) -> None:
        req = FileRequest(core, event, spec.kind)
        if spec.kind == "after_save_file":
            try:
                await invoke(spec.kind, spec.fn, req, timeout)
            except ParseError as exc:  # logged: the file is stored
                log.error("cloud %s: %s (%s)", spec.kind, exc.message, exc.code)
            return
        await invoke(spec.kind, spec.fn, req, timeout)
        name, ctype, data = req.file.get("name"), req.file.get("content_type"), req.file.get("data")
        if not isinstance(name, str) or not isinstance(ctype, str) or not isinstance(data, bytes):
            raise ParseError(Code.SCRIPT_FAILED, "before_save_file: req.file needs name and content_type (str) "
                                                 "and data (bytes)")
        event.name, event.content_type, event.data = name, ctype, data

    return hook
