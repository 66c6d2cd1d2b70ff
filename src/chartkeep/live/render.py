"""Internal rows → the ``object``/``original`` JSON of LiveQuery events, as Parse Server shapes them.

Parse sends a saved object as its ``toJSON()`` after re-inflation: the fields, ``ACL`` when
the object has one, ``className`` and ``objectId`` (no Relation markers, no ``__type``). With
``keys`` on the subscription it sends ``className, objectId, updatedAt, createdAt, ACL`` and
the listed keys present on the object (``Client._toJSONWithFields``); protected fields are
removed first. Each side of an event is encoded once per distinct (hidden fields, keys) pair,
however many subscribers share that pair.

Every File value — a File field, or a File element of an Array (a message's ``attachments``) —
carries a ``url`` signed for the subscriber it is sent to (auth/file_links.py, as REST signs
them for each reader): the SDKs refuse a File without one. So a side holding files is encoded
once per (principal, base URL) as well; a side without files stays shared by everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from chartkeep.access.acl import perms_to_acl
from chartkeep.schema.codec import encode
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.file_values import is_file
from chartkeep.schema.model import ClassSchema

KEYS_FIRST = ("className", "objectId", "updatedAt", "createdAt", "ACL")


@dataclass(frozen=True, slots=True)
class FileLinks:
    """How one subscriber's File values are signed: ``key`` names the grant (principal, base URL)."""

    key: tuple[str, str]
    sign: Callable[[str], str]


def holds_files(schema: ClassSchema, row: dict[str, Any]) -> bool:
    for name, spec in schema.fields.items():
        value = row.get(name)
        if value is None:
            continue
        if spec.type == "File" or (spec.type == "Array" and isinstance(value, list) and any(map(is_file, value))):
            return True
    return False


def _file(name: str, sign: Callable[[str], str]) -> dict[str, str]:
    return {"__type": "File", "name": name, "url": sign(name)}


def _array(value: Any, sign: Callable[[str], str]) -> Any:
    if not isinstance(value, list):
        return value
    return [_file(v["name"], sign) if is_file(v) and isinstance(v.get("name"), str) else v for v in value]


def live_object(schema: ClassSchema, row: dict[str, Any], sign: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.get("createdAt") is not None:
        out["createdAt"] = iso_ms(row["createdAt"])
    if row.get("updatedAt") is not None:
        out["updatedAt"] = iso_ms(row["updatedAt"])
    for name, spec in schema.fields.items():
        if spec.type == "Relation" or name in ("objectId", "createdAt", "updatedAt", "ACL"):
            continue
        value = row.get(name)
        if value is None:
            continue
        if spec.type == "File":
            out[name] = _file(value, sign)
        elif spec.type == "Array":
            out[name] = _array(value, sign)
        else:
            out[name] = encode(spec, value, "")
    acl = perms_to_acl(row.get("_rperm"), row.get("_wperm"))
    if acl is not None:
        out["ACL"] = acl
    out["className"] = schema.name
    out["objectId"] = row["objectId"]
    return out


def select(full: dict[str, Any], hidden: frozenset[str], keys: tuple[str, ...] | None) -> dict[str, Any]:
    if keys is None:
        return {k: v for k, v in full.items() if k not in hidden} if hidden else full
    out = {k: full[k] for k in KEYS_FIRST if k in full}
    for k in keys:
        if k in full and k not in hidden and k not in out:
            out[k] = full[k]
    return out


class Body:
    """One side (object or original) of one change, encoded lazily per field set — and, when it
    holds files, per subscriber grant (their links differ)."""

    __slots__ = ("schema", "row", "files", "_full", "_bytes")

    def __init__(self, schema: ClassSchema, row: dict[str, Any]) -> None:
        self.schema = schema
        self.row = row
        self.files = holds_files(schema, row)
        self._full: dict[tuple[str, str] | None, dict[str, Any]] = {}
        self._bytes: dict[tuple[frozenset[str], tuple[str, ...] | None, tuple[str, str] | None], bytes] = {}

    def encoded(self, hidden: frozenset[str], keys: tuple[str, ...] | None, links: FileLinks) -> bytes:
        grant = links.key if self.files else None
        key = (hidden, keys, grant)
        found = self._bytes.get(key)
        if found is None:
            full = self._full.get(grant)
            if full is None:
                full = self._full[grant] = live_object(self.schema, self.row, links.sign)
            found = self._bytes[key] = orjson.dumps(select(full, hidden, keys))
        return found
