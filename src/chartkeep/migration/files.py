"""The file blobs of an export (its ``files/`` folder) into Chartkeep's encrypted file store,
under the names the imported objects' File fields give them (files/store.py ``store_imported``)."""

from __future__ import annotations

from typing import Any

from chartkeep.core.handles import Core
from chartkeep.files.store import store_imported
from chartkeep.migration.dump import Dump
from chartkeep.schema.model import ClassSchema


def referenced(schemas: dict[str, ClassSchema], rows: dict[str, list[dict[str, Any]]]) -> dict[str, str | None]:
    """File name → the user who owns it (the object's ``owner``/``author``/``user`` pointer, if any)."""
    found: dict[str, str | None] = {}
    for name, class_rows in rows.items():
        file_fields = [f for f, spec in schemas[name].fields.items() if spec.type == "File"]
        for row in class_rows:
            for f in file_fields:
                if isinstance(row.get(f), str):
                    found.setdefault(row[f], None)
            for item in (v for f, v in row.items() if isinstance(v, list)):
                for element in item:
                    if isinstance(element, dict) and element.get("__type") == "File" and isinstance(
                            element.get("name"), str):
                        found.setdefault(element["name"], None)
    return found


async def import_files(core: Core, dump: Dump, schemas: dict[str, ClassSchema],
                       rows: dict[str, list[dict[str, Any]]]) -> tuple[int, list[str]]:
    """(files stored, names referenced whose blob the export lacks)."""
    names = referenced(schemas, rows)
    stored, missing = 0, []
    for name, owner in names.items():
        blob = dump.files_dir / name if dump.files_dir else None
        if blob is None or not blob.is_file():
            missing.append(name)
            continue
        async with core.db.transaction() as tx:
            stored += await store_imported(core, tx, name, blob.read_bytes(), owner)
    return stored, missing
