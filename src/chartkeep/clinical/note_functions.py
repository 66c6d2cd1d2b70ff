"""Cloud functions for the note workflow: ``saveNoteDraft``, ``requestSignatures``, ``signNote``,
``declineSignature``, ``amendNote`` (parameters and results: docs/clinical.md).

Each runs as ONE transaction of ordinary writes with the caller's own context, so the rules are
the hooks' (note_rules, signature_rules) — the same a direct REST/SDK write meets — and a
refusal anywhere leaves nothing behind. Reads go through the access-checked read path first: a
caller who cannot see the note gets 101 (or the class's 119), never data.
"""

from __future__ import annotations

from typing import Any

from chartkeep.clinical import note_workflow as nw
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks
from chartkeep.errors import Code, ParseError
from chartkeep.records import reads, writes
from chartkeep.records.cloud_values import as_object, object_id, pointer, require_user, text
from chartkeep.storage.database import Conn
from chartkeep.storage.queries import notes

CONTENT = ("subjective", "objective", "assessment", "plan", "content", "changeSummary")
META = {"title": str, "noteType": str, "requiresCosign": bool}


def _content(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k in CONTENT if (v := text(params, k)) is not None}


def _meta(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, kind in META.items():
        if params.get(key) is not None:
            if not isinstance(params[key], kind):
                raise ParseError(Code.INCORRECT_TYPE, f"{key} must be a {'boolean' if kind is bool else 'string'}")
            out[key] = params[key]
    return out


async def _open_note(core: Core, ctx: RequestContext, tx: Conn, note_id: str) -> dict[str, Any]:
    """Access-checked (101/119 when the caller cannot read it), then locked for this transaction."""
    await reads.get(core, ctx, nw.NOTE, note_id, {}, tx)
    return await nw.lock_note(tx, core, note_id)


async def _shown(core: Core, ctx: RequestContext, tx: Conn, class_name: str, oid: str) -> dict[str, Any]:
    return as_object(class_name, await reads.get(core, ctx, class_name, oid, {}, tx))


async def _add_version(core: Core, ctx: RequestContext, tx: Conn, note_id: str, me: str,
                       fields: dict[str, Any]) -> str:
    body = {"medicalNote": pointer(nw.NOTE, note_id), "versionNumber": 0, "editor": pointer("_User", me), **fields}
    return str((await writes.create(core, ctx, nw.VERSION, body, tx))["objectId"])


async def save_note_draft(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "saveNoteDraft")
    note_id = object_id(params, "note", nw.NOTE, required=False)
    content, meta = _content(params), _meta(params)
    async with core.db.transaction() as tx:
        if note_id is None:
            body = {"patient": pointer("Patient", object_id(params, "patient", "Patient") or ""),
                    "encounter": pointer("Encounter", object_id(params, "encounter", "Encounter") or ""),
                    "author": pointer("_User", me), "currentVersionNumber": 0, "status": nw.DRAFT, **meta}
            note_id = str((await writes.create(core, ctx, nw.NOTE, body, tx))["objectId"])
        else:
            note = await _open_note(core, ctx, tx, note_id)
            if note.get("status") != nw.DRAFT:
                raise ParseError(Code.VALIDATION_ERROR, f"saveNoteDraft edits a draft; this note is {note.get('status')} "
                                 "(a signed note is amended with amendNote).")
            if meta:
                await writes.update(core, ctx, nw.NOTE, note_id, meta, tx)
        version_id = await _add_version(core, ctx, tx, note_id, me, content)
        return {"note": await _shown(core, ctx, tx, nw.NOTE, note_id),
                "version": await _shown(core, ctx, tx, nw.VERSION, version_id)}


async def amend_note(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    me = require_user(ctx, "amendNote")
    note_id = object_id(params, "note", nw.NOTE) or ""
    reason = (text(params, "amendmentReason") or "").strip()
    if not reason:
        raise ParseError(Code.VALIDATION_ERROR, "amendmentReason is required: an amendment says why.")
    addendum = params.get("isAddendum", False)
    if not isinstance(addendum, bool):
        raise ParseError(Code.INCORRECT_TYPE, "isAddendum must be a boolean")
    fields = {**_content(params), "amendmentReason": reason, "isAddendum": addendum}
    async with core.db.transaction() as tx:
        note = await _open_note(core, ctx, tx, note_id)
        if note.get("status") not in (nw.SIGNED, nw.AMENDED):
            raise ParseError(Code.VALIDATION_ERROR, f"Only a signed note is amended; this note is {note.get('status')} "
                             "(a draft is edited with saveNoteDraft).")
        version_id = await _add_version(core, ctx, tx, note_id, me, fields)
        return {"note": await _shown(core, ctx, tx, nw.NOTE, note_id),
                "version": await _shown(core, ctx, tx, nw.VERSION, version_id)}


def _signers(params: dict[str, Any]) -> list[tuple[str, str]]:
    items = params.get("signers")
    if not isinstance(items, list) or not items:
        raise ParseError(Code.VALIDATION_ERROR, "signers is required: a list of {signer, role}")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ParseError(Code.INVALID_JSON, "each signer is an object {signer, role}")
        role = item.get("role", item.get("signatureRole"))
        if not isinstance(role, str):
            raise ParseError(Code.VALIDATION_ERROR, "each signer needs a role")
        out.append((object_id(item, "signer", "_User") or "", role))
    return out


async def request_signatures(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    require_user(ctx, "requestSignatures")
    note_id = object_id(params, "note", nw.NOTE) or ""
    signers = _signers(params)
    comment = text(params, "comment")
    async with core.db.transaction() as tx:
        await _open_note(core, ctx, tx, note_id)
        latest = await nw.latest_version(tx, note_id)
        if latest is None:
            raise ParseError(Code.VALIDATION_ERROR, "MedicalNote has no content yet: save a version before requesting signatures.")
        ids = []
        for signer, role in signers:
            body = {"medicalNote": pointer(nw.NOTE, note_id), "noteVersion": pointer(nw.VERSION, latest["objectId"]),
                    "signer": pointer("_User", signer), "signatureRole": role, "status": nw.REQUESTED}
            if comment:
                body["comment"] = comment
            ids.append((await writes.create(core, ctx, nw.SIGNATURE, body, tx))["objectId"])
        return {"note": await _shown(core, ctx, tx, nw.NOTE, note_id),
                "signatures": [await _shown(core, ctx, tx, nw.SIGNATURE, i) for i in ids]}


async def _my_request(core: Core, ctx: RequestContext, tx: Conn, params: dict[str, Any], me: str) -> str:
    """The signature named, or the caller's open request on the note's current version."""
    sig = object_id(params, "signature", nw.SIGNATURE, required=False)
    if sig is not None:
        return sig
    note_id = object_id(params, "note", nw.NOTE) or ""
    await reads.get(core, ctx, nw.NOTE, note_id, {}, tx)
    latest = await nw.latest_version(tx, note_id)
    found = None if latest is None else await notes.signature_in_status(tx, latest["objectId"], me, nw.REQUESTED)
    if found is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found: no signature of yours is requested on this note.")
    return found


async def _answer(core: Core, ctx: RequestContext, params: dict[str, Any], change: dict[str, Any],
                  what: str) -> dict[str, Any]:
    me = require_user(ctx, what)
    async with core.db.transaction() as tx:
        sig_id = await _my_request(core, ctx, tx, params, me)
        await writes.update(core, ctx, nw.SIGNATURE, sig_id, change, tx)
        signature = await _shown(core, ctx, tx, nw.SIGNATURE, sig_id)
        note_id = signature["medicalNote"]["objectId"]
        return {"signature": signature, "note": await _shown(core, ctx, tx, nw.NOTE, note_id)}


async def sign_note(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _answer(core, ctx, params, {"status": nw.SIGNED_SIG}, "signNote")


async def decline_signature(core: Core, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    comment = (text(params, "comment") or "").strip()
    if not comment:
        raise ParseError(Code.VALIDATION_ERROR, "A decline needs a comment saying why.")
    return await _answer(core, ctx, params, {"status": nw.DECLINED, "comment": comment}, "declineSignature")


def register(hooks: Hooks[Core]) -> None:
    hooks.define("saveNoteDraft", save_note_draft)
    hooks.define("requestSignatures", request_signatures)
    hooks.define("signNote", sign_note)
    hooks.define("declineSignature", decline_signature)
    hooks.define("amendNote", amend_note)
