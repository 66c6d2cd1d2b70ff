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
from typing import Any

import orjson

from chartkeep.access.acl import perms_to_acl
from chartkeep.schema.codec import encode
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.file_values import is_file
from chartkeep.schema.model import ClassSchema

KEYS_FIRST = ("className", "objectId", "updatedAt", "createdAt", "ACL")


class FileLinks:
    """How one subscriber's File values are signed: ``key`` names the grant (principal, base URL);
    the signer is made on first use, so events without files cost nothing more."""

    __slots__ = ("key", "_make", "_sign")

    def __init__(self, key: tuple[str, str], make: Callable[[], Callable[[str], str]]) -> None:
        self.key = key
        self._make = make
        self._sign: Callable[[str], str] | None = None

    def sign(self, name: str) -> str:
        if self._sign is None:
            self._sign = self._make()
        return self._sign(name)


def _file_fields(schema: ClassSchema, row: dict[str, Any]) -> tuple[str, ...]:
    """The fields of ``row`` holding a File value: File fields, and Arrays with a File element."""
    out = []
    for name, spec in schema.fields.items():
        value = row.get(name)
        if value is None:
            continue
        if spec.type == "File" or (spec.type == "Array" and isinstance(value, list) and any(map(is_file, value))):
            out.append(name)
    return tuple(out)


def _signed(value: Any, sign: Callable[[str], str]) -> Any:
    """A File value, or an Array's File elements, with ``url`` signed by ``sign``."""
    if is_file(value):
        return {"__type": "File", "name": value["name"], "url": sign(value["name"])}
    if isinstance(value, list):
        return [_signed(v, sign) if is_file(v) and isinstance(v.get("name"), str) else v for v in value]
    return value


def live_object(schema: ClassSchema, row: dict[str, Any], sign: Callable[[str], str] | None) -> dict[str, Any]:
    """The event body; with ``sign=None`` File values carry no ``url`` yet (``Body`` signs them per
    subscriber)."""
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
            value = {"__type": "File", "name": value}
        elif spec.type != "Array":
            value = encode(spec, value, "")
        out[name] = _signed(value, sign) if sign is not None else value
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
    holds files, per subscriber grant (their links differ): the body is built once, and each grant
    costs only its signed copies of the fields holding files."""

    __slots__ = ("schema", "row", "files", "_base", "_full", "_bytes")

    def __init__(self, schema: ClassSchema, row: dict[str, Any]) -> None:
        self.schema = schema
        self.row = row
        self.files = _file_fields(schema, row)
        self._base: dict[str, Any] | None = None
        self._full: dict[tuple[str, str] | None, dict[str, Any]] = {}
        self._bytes: dict[tuple[frozenset[str], tuple[str, ...] | None, tuple[str, str] | None], bytes] = {}

    def _for(self, grant: tuple[str, str] | None, links: FileLinks) -> dict[str, Any]:
        found = self._full.get(grant)
        if found is None:
            if self._base is None:
                self._base = live_object(self.schema, self.row, None)
            found = self._base
            if grant is not None:
                found = dict(found)
                for name in self.files:
                    found[name] = _signed(found[name], links.sign)
            self._full[grant] = found
        return found

    def encoded(self, hidden: frozenset[str], keys: tuple[str, ...] | None, links: FileLinks) -> bytes:
        grant = links.key if self.files else None
        key = (hidden, keys, grant)
        found = self._bytes.get(key)
        if found is None:
            found = self._bytes[key] = orjson.dumps(select(self._for(grant, links), hidden, keys))
        return found
