"""A Parse app's data as read from a folder: one file per class, in either shape teams have.

- the Parse REST shape: ``{"results": [...]}`` as ``GET /classes/<Class>`` with the master key
  returns it and Parse Dashboard's export writes it (a bare JSON array is read the same way);
- the database-export shape: MongoDB extended JSON, one document a line, as Back4app's "export
  data" gives it (``_id``, ``_p_<field>``, ``_acl``/``_rperm``/``_wperm``, ``_created_at``, …),
  turned into the REST shape by migration/mongo.py.

``<Class>.json`` (or ``.jsonl`` / ``.ndjson``) holds a class; ``_Join:<field>:<Class>.json`` the
pairs of a relation field (``owningId``, ``relatedId``); a ``files/`` folder the file blobs, each
named as the File values name it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from chartkeep.migration.mongo import from_mongo, is_mongo, schema_types
from chartkeep.schema.model import FieldSpec

SUFFIXES = (".json", ".jsonl", ".ndjson")
FILES_FOLDER = "files"
JOIN_PREFIX = "_Join:"


class DumpError(ValueError):
    """The folder cannot be read as a Parse export (the message says which file and why)."""


@dataclass
class Join:
    owner_class: str
    field: str
    pairs: list[tuple[str, str]]  # (owningId, relatedId)


@dataclass
class Dump:
    source: str
    classes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # REST-shaped objects
    joins: list[Join] = field(default_factory=list)
    files_dir: Path | None = None
    shapes: dict[str, str] = field(default_factory=dict)  # file name → "rest" | "mongo"
    field_types: dict[str, dict[str, FieldSpec]] = field(default_factory=dict)  # from _SCHEMA, when exported

    def total(self) -> int:
        return sum(len(v) for v in self.classes.values())


def _documents(path: Path) -> tuple[str, list[dict[str, Any]]]:
    raw = path.read_bytes()
    text = raw.lstrip()
    if not text:
        return "rest", []
    if text[:1] in (b"{", b"["):
        try:
            whole = orjson.loads(raw)
        except orjson.JSONDecodeError:
            whole = None  # JSON lines: several documents
        if isinstance(whole, dict) and isinstance(whole.get("results"), list):
            return "rest", whole["results"]
        if isinstance(whole, list):
            docs = whole
            return ("mongo" if any(is_mongo(d) for d in docs if isinstance(d, dict)) else "rest"), docs
        if isinstance(whole, dict):
            return ("mongo" if is_mongo(whole) else "rest"), [whole]
    docs = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            docs.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise DumpError(f"{path.name}, line {number}: not JSON ({exc})") from None
    return "mongo", docs


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in SUFFIXES:
            yield path


def read_folder(folder: Path) -> Dump:
    if not folder.is_dir():
        raise DumpError(f"{folder} is not a folder")
    dump = Dump(str(folder))
    blobs = folder / FILES_FOLDER
    dump.files_dir = blobs if blobs.is_dir() else None
    for path in _files(folder):
        name = path.name[: -len(path.suffix)]
        shape, docs = _documents(path)
        if name == "_SCHEMA":  # the exported schemas: field types the values alone do not tell
            dump.field_types = schema_types(docs)
            continue
        dump.shapes[path.name] = shape
        for doc in docs:
            if not isinstance(doc, dict):
                raise DumpError(f"{path.name}: every object must be a JSON object")
        if name.startswith(JOIN_PREFIX):
            parts = name.split(":")
            if len(parts) != 3 or not parts[1] or not parts[2]:
                raise DumpError(f"{path.name}: a relation file is named _Join:<field>:<Class>")
            pairs = []
            for doc in docs:
                owner, related = doc.get("owningId"), doc.get("relatedId")
                if not isinstance(owner, str) or not isinstance(related, str):
                    raise DumpError(f"{path.name}: each pair needs owningId and relatedId")
                pairs.append((owner, related))
            dump.joins.append(Join(parts[2], parts[1], pairs))
            continue
        dump.classes[name] = [from_mongo(d) if shape == "mongo" else d for d in docs]
    return dump
