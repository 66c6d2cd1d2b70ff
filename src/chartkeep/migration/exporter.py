"""``chartkeep export``: every class back out, in either shape ``chartkeep import`` reads
(docs/migration.md, "Leaving"), so no one is locked in.

- ``rest``: ``<Class>.json`` as ``{"results": [...]}``, each object as ``GET /classes/<Class>``
  with the master key returns it; ``_SCHEMA.json`` as ``GET /schemas`` answers.
- ``mongo``: Parse Server's MongoDB layout, one document a line (``_id``, ``_created_at``,
  ``_p_<field>``, ``_rperm``/``_wperm``/``_acl``, ``{"$date": …}``, Files by name, GeoPoints as
  ``[lng, lat]``), ``_User`` with ``_hashed_password``; ``_SCHEMA.json`` as Parse Server's
  ``_SCHEMA`` collection.

Both write ``_Join:<field>:<Class>.json`` for every relation and ``files/`` with every file an
exported object names, decrypted. The ledger's classes (``AuditEvent``, ``AuditLog``) are not
exported here (``chartkeep audit export`` writes the ledger); sessions are not exported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from chartkeep.access.acl import perms_to_acl
from chartkeep.audit.table import is_ledger_class
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.files.store import read_plain
from chartkeep.migration.dump import FILES_FOLDER
from chartkeep.records.present import present
from chartkeep.schema.dates import iso_ms
from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.storage import rows

SHAPES = ("rest", "mongo")
NOT_EXPORTED = frozenset({"_Session"})
PAGE = 1000
MONGO_TYPES = {"String": "string", "Number": "number", "Boolean": "boolean", "Date": "date", "Object": "object",
               "Array": "array", "GeoPoint": "geopoint", "File": "file", "Bytes": "bytes", "Polygon": "polygon"}

Progress = Callable[[str, int], None]  # (class, objects written so far)


@dataclass
class ExportReport:
    shape: str
    classes: dict[str, int] = field(default_factory=dict)
    relations: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)


def _mongo_type(spec: FieldSpec) -> str:
    if spec.type == "Pointer":
        return f"*{spec.target_class}"
    if spec.type == "Relation":
        return f"relation<{spec.target_class}>"
    return MONGO_TYPES.get(spec.type, "object")


def _mongo_value(spec: FieldSpec, value: Any) -> Any:
    if spec.type == "Date":
        return {"$date": iso_ms(value)}
    if spec.type == "GeoPoint":
        return [value["longitude"], value["latitude"]]
    if spec.type == "Bytes":
        return {"__type": "Bytes", "base64": value}
    if spec.type == "Polygon":
        return {"__type": "Polygon", "coordinates": value}
    return value


def mongo_document(schema: ClassSchema, row: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": row["objectId"]}
    for name, spec in schema.fields.items():
        value = row.get(name)
        if value is None or spec.type == "Relation" or name in ("objectId", "createdAt", "updatedAt"):
            continue
        if spec.type == "Pointer":
            doc[f"_p_{name}"] = f"{spec.target_class}${value}"
        else:
            doc[name] = _mongo_value(spec, value)
    if row.get("_hashed_password"):
        doc["_hashed_password"] = row["_hashed_password"]
    doc["_created_at"] = {"$date": iso_ms(row["createdAt"])}
    doc["_updated_at"] = {"$date": iso_ms(row["updatedAt"])}
    acl = perms_to_acl(row.get("_rperm"), row.get("_wperm"))
    if acl is not None:
        doc["_rperm"], doc["_wperm"] = row.get("_rperm") or [], row.get("_wperm") or []
        doc["_acl"] = {p: {k[0]: True for k in grant} for p, grant in acl.items()}
    return doc


def _file_names(schema: ClassSchema, row: dict[str, Any]) -> list[str]:
    names = [row[f] for f, spec in schema.fields.items() if spec.type == "File" and isinstance(row.get(f), str)]
    for value in row.values():
        if isinstance(value, list):
            names += [v["name"] for v in value if isinstance(v, dict) and v.get("__type") == "File"
                      and isinstance(v.get("name"), str)]
    return names


def _schema_doc(schema: ClassSchema, shape: str) -> dict[str, Any]:
    if shape == "rest":
        return schema.to_json()
    return {"_id": schema.name, **{n: _mongo_type(s) for n, s in schema.fields.items()
                                   if n not in ("objectId", "createdAt", "updatedAt", "ACL")}}


async def run(core: Core, folder: Path, shape: str, progress: Progress | None = None) -> ExportReport:
    if shape not in SHAPES:
        raise ValueError(f"shape is one of {', '.join(SHAPES)}")
    folder.mkdir(parents=True, exist_ok=True)
    report = ExportReport(shape)
    ctx = RequestContext(core.settings.app_id, is_master=True)
    schemas = [s for s in core.registry.all() if s.name not in NOT_EXPORTED and not is_ledger_class(s.name)]
    files: dict[str, None] = {}
    schema_docs = [_schema_doc(s, shape) for s in schemas]
    (folder / "_SCHEMA.json").write_bytes(orjson.dumps({"results": schema_docs}) if shape == "rest"
                                          else b"".join(orjson.dumps(d) + b"\n" for d in schema_docs))
    for schema in schemas:
        count = 0
        async with core.db.read() as conn:
            with (folder / f"{schema.name}.json").open("wb") as out:
                if shape == "rest":
                    out.write(b'{"results": [\n')
                after = None
                while True:
                    page = await rows.scan(conn, schema, after, PAGE)
                    if not page:
                        break
                    for row in page:
                        if shape == "rest":
                            out.write((b",\n" if count else b"") + orjson.dumps(present(schema, row, ctx)))
                        else:
                            out.write(orjson.dumps(mongo_document(schema, row)) + b"\n")
                        for name in _file_names(schema, row):
                            files[name] = None
                        count += 1
                    after = page[-1]["objectId"]
                    if progress:
                        progress(schema.name, count)
                if shape == "rest":
                    out.write(b"\n]}\n")
            for name, spec in schema.fields.items():
                if spec.type != "Relation":
                    continue
                pairs = await rows.relation_pairs(conn, schema.name, name)
                lines = [{"owningId": o, "relatedId": r} for o, r in pairs]
                (folder / f"_Join:{name}:{schema.name}.json").write_bytes(
                    orjson.dumps({"results": lines}) if shape == "rest"
                    else b"".join(orjson.dumps(line) + b"\n" for line in lines))
                report.relations[f"{schema.name}.{name}"] = len(pairs)
        report.classes[schema.name] = count
    if files:
        (folder / FILES_FOLDER).mkdir(exist_ok=True)
        async with core.db.read() as conn:
            for name in files:
                data = await read_plain(core, conn, name)
                if data is None:
                    report.missing_files.append(name)
                    continue
                (folder / FILES_FOLDER / name).write_bytes(data)
                report.files += 1
    return report
