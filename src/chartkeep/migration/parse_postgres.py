"""A Parse Server's own PostgreSQL database read as an export (``chartkeep import --from
postgresql://…``), which is what self-hosted Parse teams have: ``_SCHEMA`` gives each class's
fields, each table its rows, ``_Join`` tables the relations. Rows become objects in the Parse REST
shape (pointers, dates, files, GeoPoints ``point(longitude, latitude)``, ACLs from
``_rperm``/``_wperm``), ``_User`` keeping ``_hashed_password``; then the import is the same as from
a folder."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chartkeep.migration.dump import Dump, Join
from chartkeep.migration.mongo import schema_types
from chartkeep.schema.dates import iso_ms
from chartkeep.storage import parse_source

KEPT_HIDDEN = ("_hashed_password",)
JOIN = "_Join:"
# Parse Server keeps no _SCHEMA row for a system class until its schema is changed: its fields then
# are Parse's defaults
SYSTEM_FIELDS: dict[str, dict[str, dict[str, Any]]] = {
    "_User": {"username": {"type": "String"}, "email": {"type": "String"}, "emailVerified": {"type": "Boolean"}},
    "_Role": {"name": {"type": "String"}, "users": {"type": "Relation", "targetClass": "_User"},
              "roles": {"type": "Relation", "targetClass": "_Role"}},
    "_Installation": {"installationId": {"type": "String"}, "deviceToken": {"type": "String"},
                      "channels": {"type": "Array"}, "deviceType": {"type": "String"}, "pushType": {"type": "String"},
                      "GCMSenderId": {"type": "String"}, "timeZone": {"type": "String"},
                      "localeIdentifier": {"type": "String"}, "badge": {"type": "Number"},
                      "appVersion": {"type": "String"}, "appName": {"type": "String"},
                      "appIdentifier": {"type": "String"}, "parseVersion": {"type": "String"}},
}


def _value(kind: str, target: str | None, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == "Pointer":
        return {"__type": "Pointer", "className": target, "objectId": raw}
    if kind == "Date":
        return {"__type": "Date", "iso": iso_ms(raw) if isinstance(raw, datetime) else raw}
    if kind == "File":
        return {"__type": "File", "name": raw}
    if kind == "GeoPoint":
        return {"__type": "GeoPoint", "latitude": raw.y, "longitude": raw.x}
    if kind in ("Object", "Array") and isinstance(raw, str):
        return json.loads(raw)
    if kind == "Number" and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def to_object(fields: dict[str, dict[str, Any]], row: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {"objectId": row["objectId"]}
    for stamp in ("createdAt", "updatedAt"):
        if isinstance(row.get(stamp), datetime):
            obj[stamp] = iso_ms(row[stamp])
    if row.get("_rperm") is not None or row.get("_wperm") is not None:
        acl: dict[str, dict[str, bool]] = {}
        for principal in row.get("_rperm") or []:
            acl.setdefault(principal, {})["read"] = True
        for principal in row.get("_wperm") or []:
            acl.setdefault(principal, {})["write"] = True
        obj["ACL"] = acl
    for name, spec in fields.items():
        if name in ("objectId", "createdAt", "updatedAt", "ACL") or name.startswith("_") or name not in row:
            continue
        value = _value(spec.get("type", ""), spec.get("targetClass"), row[name])
        if value is not None:
            obj[name] = value
    for name in KEPT_HIDDEN:
        if row.get(name):
            obj[name] = row[name]
    return obj


async def read_database(url: str) -> Dump:
    dump = Dump(url.split("@")[-1])  # the source named without its credentials
    conn = await parse_source.connect(url)
    try:
        stored = {s["className"]: s for s in await parse_source.schemas(conn)}
        dump.field_types = schema_types(list(stored.values()))
        for table in await parse_source.tables(conn):
            if table == "_SCHEMA":
                continue
            if table.startswith(JOIN):
                _, field, owner = table.split(":", 2)
                pairs = await parse_source.join_pairs(conn, owner, field)
                if pairs:
                    dump.joins.append(Join(owner, field, pairs))
                continue
            fields: dict[str, dict[str, Any]] = {**SYSTEM_FIELDS.get(table, {}),
                                                 **(stored.get(table, {}).get("fields") or {})}
            present = await parse_source.columns(conn, table)
            wanted = [c for c in present if c in fields or c in ("objectId", "createdAt", "updatedAt", "_rperm",
                                                                   "_wperm", *KEPT_HIDDEN)]
            dump.classes[table] = [to_object(fields, r) for r in await parse_source.rows(conn, table, wanted)]
            dump.shapes[table] = "parse-postgres"
    finally:
        await conn.close()
    return dump
