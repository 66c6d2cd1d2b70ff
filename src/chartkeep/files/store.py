"""The Parse Files API over encrypted storage: upload, delete, and the one download path.

Upload (``POST /files/{name}``) stores the bytes encrypted (storage/file_crypto.py) under a unique
name (Parse's 32-hex prefix) with the uploader as owner, and answers Parse's ``{url, name}``.
A download is served only by :func:`open_download`: a valid, unexpired signed link
(auth/file_links.py) for a principal who can *still* read an object holding the file — for
chart files the owning ``Attachment``, i.e. its patient's care team — or, while no object holds
the file yet, for its uploader (preview after upload; nobody else). Everything a download's audit
entry needs (actor, patient, Attachment id, outcome, IP) is known in that one function.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from chartkeep.audit.entry import Entry
from chartkeep.auth import file_links
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import FileEvent
from chartkeep.errors import Code, ParseError
from chartkeep.files import checks
from chartkeep.query.sql import compile_select
from chartkeep.records.reads import build_where
from chartkeep.storage import file_store, rows
from chartkeep.storage.database import Conn
from chartkeep.storage.file_crypto import FileIntegrityError, Keyring
from chartkeep.storage.file_store import BlobStore, DatabaseBlobStore, FileMeta

ATTACHMENT = "Attachment"
CHART_ROOTS = ("Patient", "PatientProfile")
_DEFAULT_STORE = DatabaseBlobStore()


def blob_store(core: Core) -> BlobStore:
    """The configured blob store (the database today; the seam for S3-compatible storage)."""
    return _DEFAULT_STORE


class FileNotFound(ParseError):
    """A link whose file no longer exists: Parse answers 404 ``File not found.`` (text/plain)."""

    def __init__(self) -> None:
        super().__init__(Code.OBJECT_NOT_FOUND, "File not found.")


# ---- upload / delete ---------------------------------------------------------------------------


async def upload(core: Core, ctx: RequestContext, name: str, data: bytes, content_type: str | None) -> dict[str, str]:
    settings = core.settings
    if not ctx.is_master and ctx.user is None:
        raise ParseError(Code.FILE_SAVE_ERROR, "File upload by public is disabled.")
    name, ctype = _checked(core, name, data, content_type)
    if core.hooks.files.get("before_save_file"):  # Cloud Code, after the checks; what it leaves is checked again
        event = FileEvent(ctx, name, ctype, data)
        await core.hooks.run_file("before_save_file", core, event)
        if (event.name, event.content_type, event.data) != (name, ctype, data):
            name, ctype = _checked(core, event.name, event.data, event.content_type)
            data = event.data
    stored = f"{secrets.token_hex(16)}_{name}"
    key_id, blob = Keyring.from_settings(settings).encrypt(stored, data)
    meta = FileMeta(stored, ctype, len(data), ctx.user_id, key_id, time.time())
    async with core.db.transaction() as tx:
        await file_store.insert_meta(tx, meta)
        await blob_store(core).put(tx, stored, blob)
    if core.hooks.files.get("after_save_file"):
        await core.hooks.run_file("after_save_file", core, FileEvent(ctx, name, ctype, data, stored))
    return {"url": file_links.signed_url(settings, ctx, stored), "name": stored}


def _checked(core: Core, name: str, data: bytes, content_type: str | None) -> tuple[str, str]:
    """The file checks (name, size, type and content); the name and type to store."""
    settings = core.settings
    if not data:
        raise ParseError(Code.FILE_SAVE_ERROR, "Invalid file upload.")
    checks.validate_name(name)
    if len(data) > settings.files_max_bytes:
        raise checks.FileTooLarge(settings.files_max_bytes)
    name, ctype = checks.settle_type(name, content_type)
    checks.check_content(name, ctype, data, settings.files_allowed_types, checks.declared_type(content_type))
    return name, ctype


async def store_imported(core: Core, conn: Conn, name: str, data: bytes, owner: str | None) -> bool:
    """A file brought in by ``chartkeep import`` under the name the imported objects give it,
    encrypted with the current key like an upload; False when a file of that name is stored."""
    if await file_store.get_meta(conn, name) is not None:
        return False
    ctype = checks.settle_type(name, None)[1]
    key_id, blob = Keyring.from_settings(core.settings).encrypt(name, data)
    await file_store.insert_meta(conn, FileMeta(name, ctype, len(data), owner, key_id, time.time()))
    await blob_store(core).put(conn, name, blob)
    return True


async def read_plain(core: Core, conn: Conn, name: str) -> bytes | None:
    """A stored file's bytes, decrypted (``chartkeep export``); None when it is not stored."""
    meta = await file_store.get_meta(conn, name)
    blob = await blob_store(core).get(conn, name) if meta is not None else None
    if meta is None or blob is None:
        return None
    return Keyring.from_settings(core.settings).decrypt(name, meta.key_id, blob)


async def delete(core: Core, ctx: RequestContext, name: str) -> None:
    """Master key only (the route enforces it), as Parse's ``DELETE /files/{name}``."""
    async with core.db.transaction() as tx:
        if not await file_store.delete_meta(tx, name):
            raise ParseError(Code.FILE_DELETE_ERROR, "Could not delete file.")
        await blob_store(core).delete(tx, name)


# ---- who holds a file --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holder:
    class_name: str
    object_id: str
    patient_id: str | None  # the chart the object belongs to, when it names one
    patient_class: str | None = None  # Patient or PatientProfile

    @property
    def attachment_id(self) -> str | None:
        return self.object_id if self.class_name == ATTACHMENT else None


def _file_fields(core: Core) -> list[tuple[str, str]]:
    """(class, field) for every File field, Attachment first (the chart's file holder), then every
    Array field (files inside arrays, e.g. a message's ``attachments``)."""
    fields = [(s.name, f, spec.type) for s in core.registry.all() for f, spec in s.fields.items()]
    found = [(c, f) for c, f, t in fields if t == "File"]
    return sorted(found, key=lambda cf: cf[0] != ATTACHMENT) + [(c, f) for c, f, t in fields if t == "Array"]


async def readable_holder(core: Core, ctx: RequestContext, conn: Conn, name: str) -> Holder | None:
    """The first object holding file ``name`` that ``ctx`` may read through the normal read path
    (CLP, ACL = care team, pointer permissions), or None."""
    for class_name, field in _file_fields(core):
        schema = core.registry.get(class_name)
        assert schema is not None
        try:
            where = build_where(core, ctx, schema, {field: {"__type": "File", "name": name}}, "find")
        except ParseError:
            continue  # the CLP refuses this reader the class outright
        sql, params = compile_select(schema, where, conn.dialect, limit=1)
        found = rows.decode_rows(schema, await conn.fetch(sql, params), conn)
        if found:
            obj = found[0]
            link = next((f for f in ("patient", "patientProfile") if schema.field_type(f) == "Pointer"
                         and schema.fields[f].target_class in CHART_ROOTS and obj.get(f)), None)
            if schema.name in CHART_ROOTS:
                return Holder(class_name, obj["objectId"], obj["objectId"], schema.name)
            root = schema.fields[link].target_class if link else None
            return Holder(class_name, obj["objectId"], obj.get(link) if link else None, root)
    return None


# ---- download ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DownloadRequest:
    name: str
    query: Mapping[str, str]
    client_ip: str | None


@dataclass(slots=True)
class Download:
    meta: FileMeta
    data: bytes
    holder: Holder | None


ContextFor = Callable[[file_links.Link], Awaitable[RequestContext | None]]  # None: the user is gone


async def open_download(core: Core, request: DownloadRequest, context_for: ContextFor) -> Download:
    """The one way file bytes leave the server. Refuses (403) a missing/tampered/expired link or a
    principal who cannot read any object holding the file; 404 for a deleted file; a stored blob
    failing its GCM tag is an error (500), never bytes."""
    link: file_links.Link | None = None
    ctx: RequestContext | None = None
    holder: Holder | None = None
    outcome = "denied"
    try:
        link = file_links.verify(core.settings, request.name, request.query)
        ctx = await context_for(link)
        if ctx is None:
            raise file_links.LinkRefused("Permission denied: this file link is invalid.")
        async with core.db.read() as conn:
            meta = await file_store.get_meta(conn, request.name)
            if meta is None:
                outcome = "not_found"
                raise FileNotFound()
            holder = await readable_holder(core, ctx, conn, request.name)
            if holder is None and not ctx.is_master and not await _own_preview(core, ctx, conn, meta):
                raise file_links.LinkRefused("Permission denied: you cannot read any object holding this file.")
            blob = await blob_store(core).get(conn, request.name)
        if blob is None:
            outcome = "integrity_failure"
            raise FileIntegrityError("The stored file is missing its content.")
        try:
            data = Keyring.from_settings(core.settings).decrypt(request.name, meta.key_id, blob)
        except FileIntegrityError:
            outcome = "integrity_failure"
            raise
        outcome = "success"
        return Download(meta, data, holder)
    finally:
        if holder is None and outcome != "success":
            holder = await _subject(core, request.name)  # whose file was asked for, for the audit entry
        await _audit(core, request, link, ctx, holder, outcome)


async def _own_preview(core: Core, ctx: RequestContext, conn: Conn, meta: FileMeta) -> bool:
    """The uploader previewing their own upload before any object holds it (the SDKs'
    preview-after-upload). Once an object holds the file, that object's readers decide — the
    uploader included."""
    if meta.owner is None or meta.owner != ctx.user_id:
        return False
    anyone = RequestContext(core.settings.app_id, is_master=True)
    return await readable_holder(core, anyone, conn, meta.name) is None


async def _audit(core: Core, request: DownloadRequest, link: file_links.Link | None, ctx: RequestContext | None,
                 holder: Holder | None, outcome: str) -> None:
    """Every download attempt, whatever its outcome, is a ``file_download`` ledger entry — stored
    before the bytes (or the refusal) are sent."""
    actor = ctx.user_id if ctx is not None else None
    if actor is None and link is not None and link.principal not in (file_links.MASTER, file_links.PUBLIC):
        actor = link.principal
    entry = Entry("file_download", actor=actor, ip_address=request.client_ip,
                  patient=holder.patient_id if holder else None,
                  patient_class=holder.patient_class if holder and holder.patient_id else None,
                  target_class=holder.class_name if holder else "_File",
                  target_id=holder.object_id if holder else request.name,
                  outcome="success" if outcome == "success" else "failure",
                  details=f"file {request.name}: {outcome}",
                  metadata={"masterKey": True} if link is not None and link.principal == file_links.MASTER else None)
    await core.ledger.append([entry])


async def _subject(core: Core, name: str) -> Holder | None:
    """The object holding ``name`` whoever asks (for auditing a refused download)."""
    async with core.db.read() as conn:
        return await readable_holder(core, RequestContext(core.settings.app_id, is_master=True), conn, name)
