"""Internal objects → the JSON objects clients receive (Parse's shapes)."""

from __future__ import annotations

from typing import Any

from chartkeep.access.acl import perms_to_acl
from chartkeep.access.protected import hidden_fields
from chartkeep.context import RequestContext
from chartkeep.schema.codec import encode
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.model import ClassSchema

ALWAYS = ("objectId", "createdAt", "updatedAt")


def present(
    schema: ClassSchema,
    obj: dict[str, Any],
    ctx: RequestContext,
    keys: set[str] | None = None,
    exclude: set[str] | None = None,
) -> dict[str, Any]:
    """Parse's key order: objectId, createdAt, updatedAt, fields, relations, ACL."""
    out: dict[str, Any] = {"objectId": obj["objectId"]}
    if "createdAt" in obj:
        out["createdAt"] = iso_ms(obj["createdAt"])
    if "updatedAt" in obj:
        out["updatedAt"] = iso_ms(obj["updatedAt"])
    hidden = hidden_fields(ctx, schema, obj)
    files_url = ctx.files_url
    relations = []
    for name, spec in schema.fields.items():
        if name in hidden or (keys is not None and name not in keys) or (exclude and name in exclude):
            continue
        if spec.type == "Relation":
            relations.append((name, spec))
        elif obj.get(name) is not None:
            if spec.type == "File" and ctx.file_link is not None:  # a signed link for this reader
                out[name] = {"__type": "File", "name": obj[name], "url": ctx.file_link(obj[name])}
            elif spec.type == "Array" and isinstance(obj[name], list):
                out[name] = [_file_element(v, ctx) for v in obj[name]]
            else:
                out[name] = encode(spec, obj[name], files_url)
    for name, spec in relations:
        out[name] = {"__type": "Relation", "className": spec.target_class}
    acl = perms_to_acl(obj.get("_rperm"), obj.get("_wperm"))
    if acl is not None and (keys is None or "ACL" in keys) and not (exclude and "ACL" in exclude):
        out["ACL"] = acl
    return out


def _file_element(value: Any, ctx: RequestContext) -> Any:
    """A File inside an Array (``Message.attachments``) gets a link for this reader, as a File field."""
    if not (isinstance(value, dict) and value.get("__type") == "File" and isinstance(value.get("name"), str)):
        return value
    name = value["name"]
    return {"__type": "File", "name": name, "url": ctx.file_link(name) if ctx.file_link else ctx.files_url + name}
