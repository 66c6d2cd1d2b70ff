"""Internal rows → the ``object``/``original`` JSON of LiveQuery events, as Parse Server shapes them.

Parse sends a saved object as its ``toJSON()`` after re-inflation: the fields, ``ACL`` when
the object has one, ``className`` and ``objectId`` (no Relation markers, no ``__type``). With
``keys`` on the subscription it sends ``className, objectId, updatedAt, createdAt, ACL`` and
the listed keys present on the object (``Client._toJSONWithFields``); protected fields are
removed first. Each side of an event is encoded once per distinct (hidden fields, keys) pair,
however many subscribers share that pair.
"""

from __future__ import annotations

from typing import Any

import orjson

from chartkeep.access.acl import perms_to_acl
from chartkeep.schema.codec import encode
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.model import ClassSchema

KEYS_FIRST = ("className", "objectId", "updatedAt", "createdAt", "ACL")


def live_object(schema: ClassSchema, row: dict[str, Any], files_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.get("createdAt") is not None:
        out["createdAt"] = iso_ms(row["createdAt"])
    if row.get("updatedAt") is not None:
        out["updatedAt"] = iso_ms(row["updatedAt"])
    for name, spec in schema.fields.items():
        if spec.type == "Relation" or name in ("objectId", "createdAt", "updatedAt", "ACL"):
            continue
        value = row.get(name)
        if value is not None:
            out[name] = encode(spec, value, files_url)
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
    """One side (object or original) of one change, encoded lazily per field set."""

    __slots__ = ("schema", "row", "files_url", "_full", "_bytes")

    def __init__(self, schema: ClassSchema, row: dict[str, Any], files_url: str) -> None:
        self.schema = schema
        self.row = row
        self.files_url = files_url
        self._full: dict[str, Any] | None = None
        self._bytes: dict[tuple[frozenset[str], tuple[str, ...] | None], bytes] = {}

    def encoded(self, hidden: frozenset[str], keys: tuple[str, ...] | None) -> bytes:
        key = (hidden, keys)
        found = self._bytes.get(key)
        if found is None:
            if self._full is None:
                self._full = live_object(self.schema, self.row, self.files_url)
            found = self._bytes[key] = orjson.dumps(select(self._full, hidden, keys))
        return found
