"""``chartkeep import``: a Parse app's data into Chartkeep, every record through the write
primitive with one ledger entry naming the import (docs/migration.md).

The whole export is read and checked before anything is written: a value a field cannot hold
stops the import (nothing written); a clinical rule a record breaks is reported
(migration/rules.py) and, with ``strict``, stops it too — otherwise the record is imported as it
was, its ledger entry saying which rule it breaks. Objects whose objectId is already stored are
left alone, so a re-run adds only what is missing. ``dry_run`` reports without writing.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import ParseError
from chartkeep.migration import convert, files, rules
from chartkeep.migration.dump import Dump
from chartkeep.records import commit
from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.schema_admin import schemas as schema_api
from chartkeep.storage import rows as stored_rows
from chartkeep.storage.queries import roles as role_queries
from chartkeep.storage.queries import users as user_queries

BATCH = 1000  # rows per transaction
FIRST = ("_User", "_Role")

Progress = Callable[[str, int, int], None]  # (class, done, total)


@dataclass
class ClassReport:
    read: int = 0
    new: int = 0
    present: int = 0
    new_fields: list[str] = field(default_factory=list)
    created: bool = False


@dataclass
class Report:
    import_id: str
    source: str
    dry_run: bool
    strict: bool
    classes: dict[str, ClassReport] = field(default_factory=dict)
    skipped_classes: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # values no field can hold: nothing written
    findings: list[rules.Finding] = field(default_factory=list)
    merged_roles: dict[str, str] = field(default_factory=dict)  # imported role id → existing role id
    relations: int = 0
    files: int = 0
    missing_files: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.errors) or (self.strict and bool(self.findings))


def _order(names: list[str]) -> list[str]:
    return [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)


def _planned_schema(core: Core, name: str, fields: dict[str, FieldSpec]) -> ClassSchema:
    existing = core.registry.get(name)
    if existing is None:
        return ClassSchema(name, dict(fields))
    return ClassSchema(existing.name, {**existing.fields, **fields}, existing.clp, existing.indexes)


def _relation_targets(dump: Dump) -> dict[tuple[str, str], str]:
    """(class, relation field) → the class its ids are objects of (from the objects exported)."""
    where: dict[str, str] = {}
    for name, objects in dump.classes.items():
        for obj in objects:
            if isinstance(obj.get("objectId"), str):
                where[obj["objectId"]] = name
    found = {}
    for join in dump.joins:
        for _, related in join.pairs:
            if related in where:
                found[(join.owner_class, join.field)] = where[related]
                break
    return found


async def run(core: Core, dump: Dump, *, strict: bool = False, dry_run: bool = False,
              progress: Progress | None = None) -> Report:
    report = Report("import-" + secrets.token_hex(4), dump.source, dry_run, strict)
    ctx = RequestContext(core.settings.app_id, is_master=True)
    names = []
    for name in _order(list(dump.classes)):
        if name in convert.SKIPPED_CLASSES:
            report.skipped_classes[name] = len(dump.classes[name])
        else:
            names.append(name)
    # 1. the schema each class needs: Chartkeep's, plus the fields the export carries that it lacks
    targets = _relation_targets(dump)
    planned: dict[str, ClassSchema] = {}
    additions: dict[str, dict[str, FieldSpec]] = {}
    for name in names:
        try:
            fields = convert.new_fields(core.registry.get(name), dump.classes[name], dump.field_types.get(name))
        except ParseError as exc:
            report.errors.append(f"{name}: {exc.message}")
            continue
        for join in dump.joins:
            if join.owner_class == name and (core.registry.get(name) is None
                                             or join.field not in core.registry.get(name).fields):  # type: ignore[union-attr]
                exported = dump.field_types.get(name, {}).get(join.field)
                target = exported.target_class if exported else targets.get((name, join.field))
                if target is None:
                    report.errors.append(f"_Join:{join.field}:{name}: no exported object is a member")
                else:
                    fields[join.field] = FieldSpec("Relation", target)
        additions[name] = fields
        planned[name] = _planned_schema(core, name, fields)
        report.classes[name] = ClassReport(read=len(dump.classes[name]), new_fields=sorted(fields),
                                           created=core.registry.get(name) is None)
    # 2. every object as the row it will be
    converted: dict[str, list[dict[str, Any]]] = {}
    for name, schema in planned.items():
        out = converted.setdefault(name, [])
        for obj in dump.classes[name]:
            try:
                out.append(convert.to_row(schema, obj))
            except ParseError as exc:
                report.errors.append(f"{name} {obj.get('objectId')}: {exc.message}")
    # 3. the clinical rules (signed signatures get their content hash here)
    report.findings = rules.check(planned, converted)
    # 4. roles whose name exists already: their members join the existing role
    async with core.db.read() as conn:
        role_rows = converted.get("_Role", [])
        existing_roles = await role_queries.role_ids(conn, [r["name"] for r in role_rows if r.get("name")])
        for role in role_rows:
            same = existing_roles.get(role.get("name") or "")
            if same is not None and same != role["objectId"]:
                report.merged_roles[role["objectId"]] = same
        # 5. what is stored already (by objectId): left alone
        fresh: dict[str, list[dict[str, Any]]] = {}
        for name, class_rows in converted.items():
            present: set[str] = set()
            if core.registry.get(name) is not None:
                present = await stored_rows.existing_ids(conn, name, [r["objectId"] for r in class_rows])
            present |= {r["objectId"] for r in class_rows if name == "_Role" and r["objectId"] in report.merged_roles}
            fresh[name] = [r for r in class_rows if r["objectId"] not in present]
            report.classes[name].present = len(class_rows) - len(fresh[name])
            report.classes[name].new = len(fresh[name])
        # 6. what the database would refuse half-way: an objectId twice, a username or email taken
        for name, class_rows in converted.items():
            seen: set[str] = set()
            for row in class_rows:
                if row["objectId"] in seen:
                    report.errors.append(f"{name} {row['objectId']}: the objectId appears twice in the export")
                seen.add(row["objectId"])
        taken: dict[tuple[str, str], str] = {}
        for row in fresh.get("_User", []):
            for column in ("username", "email"):
                value = row.get(column)
                if not isinstance(value, str):
                    continue
                other = taken.get((column, value.lower()))
                owners = [other] if other else await user_queries.ids_named(conn, column, value)
                if owners and owners != [row["objectId"]]:
                    report.errors.append(f"_User {row['objectId']}: {column} {value} is taken by {owners[0]}")
                taken[(column, value.lower())] = row["objectId"]
    if dry_run or report.refused:
        return report
    # 7. write: schema changes, then the rows in batches, then the relations, then the files
    broken: dict[tuple[str, str], list[str]] = {}
    for f in report.findings:
        broken.setdefault((f.class_name, f.object_id), []).append(f"{f.rule} ({f.message})")
    for name, fields in additions.items():
        body = {"fields": {n: s.to_json() for n, s in fields.items()}}
        if core.registry.get(name) is None:
            await schema_api.create_schema(core, name, {"className": name, **body}, ctx)
        elif fields:
            await schema_api.update_schema(core, name, body, ctx)
    for name in names:
        if name not in fresh:
            continue
        stored_schema = core.registry.get(name)
        assert stored_schema is not None
        todo = fresh[name]
        if progress:
            progress(name, 0, len(todo))
        for start in range(0, len(todo), BATCH):
            batch = todo[start:start + BATCH]
            why = {}
            for row in batch:
                why[row["objectId"]] = f"imported by {report.import_id} from {dump.source}"
                rules_broken = broken.get((name, row["objectId"]))
                if rules_broken:
                    why[row["objectId"]] += f"; imported breaking {'; '.join(rules_broken)}"
            async with core.db.transaction() as tx:
                await commit.insert_many(core, tx, ctx, stored_schema, batch, event="import", why=why)
            if progress:
                progress(name, min(start + BATCH, len(todo)), len(todo))
    report.relations = await _relations(core, ctx, dump, report)
    report.files, report.missing_files = await files.import_files(core, dump, planned, converted)
    report.written = True
    return report


async def _relations(core: Core, ctx: RequestContext, dump: Dump, report: Report) -> int:
    merged = report.merged_roles
    added = 0
    for join in dump.joins:
        by_owner: dict[str, list[str]] = {}
        for owner, related in join.pairs:
            by_owner.setdefault(merged.get(owner, owner), []).append(merged.get(related, related))
        async with core.db.transaction() as tx:
            for owner, members in by_owner.items():
                have = await stored_rows.relation_ids(tx, join.owner_class, join.field, owner)
                new = [r for r in dict.fromkeys(members) if r not in have]
                if new:
                    await commit.relation(core, tx, ctx, join.owner_class, join.field, owner, add=new,
                                          why=f"imported by {report.import_id} from {dump.source}", event="import")
                    added += len(new)
    return added
