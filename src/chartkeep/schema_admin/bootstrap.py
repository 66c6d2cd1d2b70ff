"""``init``: create the system tables and load the seed templates (idempotent, safe on every start)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from chartkeep.accounts.seed_roles import seed_roles
from chartkeep.audit.install import ensure_ledger, stored_chains
from chartkeep.audit.table import ensure_view, is_ledger_class
from chartkeep.core.handles import Core
from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.schema.policy import load_policy
from chartkeep.schema.system import default_clp, system_classes
from chartkeep.schema.templates import merge_templates
from chartkeep.storage import ddl, schema_store
from chartkeep.storage.database import Conn
from chartkeep.storage.internal import ensure_internal_tables
from chartkeep.storage.queries import locks

log = logging.getLogger("chartkeep.bootstrap")

Progress = Callable[[str], None]
log = logging.getLogger("chartkeep.schema")


def wanted_classes(template_names: list[str]) -> dict[str, ClassSchema]:
    """System classes, every class of the chosen templates (``_User`` fields merged in) and the
    access-policy classes, each with the shipped CLP where the policy has one."""
    policy = load_policy()
    out = system_classes()
    for name, schema in merge_templates(template_names).items():
        if name in out:
            out[name].fields.update(schema.fields)
        else:
            out[name] = schema
    if "Patient" in out or "PatientProfile" in out:
        for name in policy.definitions:
            out[name] = policy.definition(name)
    for name, schema in out.items():
        schema.clp = policy.clp(name) or schema.clp or default_clp()
    return out


def _upgrade_clp(existing: ClassSchema, wanted: ClassSchema) -> bool:
    """A class still on Parse's open default gets the shipped CLP; a customised one is kept."""
    if existing.clp == default_clp() and wanted.clp != existing.clp:
        existing.clp = wanted.clp
        return True
    return False


async def initialize(core: Core, progress: Progress | None = None) -> list[str]:
    """Create what is missing; return the names of classes created or extended."""
    changed: list[str] = []
    duplicates: list[ddl.Duplicate] = []
    async with core.db.transaction() as tx:
        await _one_at_a_time(tx)
        await ddl.ensure_schema_table(tx)
        await ensure_internal_tables(tx)
        await ensure_ledger(tx, core.settings.ledger_chains)
        chains = await stored_chains(tx)
        if chains != core.settings.ledger_chains:
            log.warning("the audit ledger has %s chains (fixed when it was created); ledger_chains=%s is ignored",
                        chains, core.settings.ledger_chains)
        stored = await schema_store.load_all(tx)
        for name, schema in wanted_classes(core.settings.templates).items():
            if progress:
                progress(name)
            existing = stored.get(name)
            if is_ledger_class(name):
                await _ensure_ledger_view(tx, schema, existing, stored, changed)
            elif existing is None:
                await ddl.create_class_table(tx, schema)
                stored[name] = schema
                changed.append(name)
            else:
                missing: dict[str, FieldSpec] = {
                    f: s for f, s in schema.fields.items() if f not in existing.fields
                }
                upgraded = _upgrade_clp(existing, schema)
                if not missing and not upgraded:
                    continue
                for field_name, spec in missing.items():
                    await ddl.add_field(tx, name, field_name, spec)
                    existing.fields[field_name] = spec
                changed.append(name)
            await schema_store.save(tx, stored[name])
        for name in stored:
            if not is_ledger_class(name):
                duplicates += await ddl.ensure_unique_indexes(tx, name)
        await seed_roles(tx, load_policy())
    core.registry.replace_all(stored)
    core.start_up_problems = [_report(d) for d in duplicates]
    for problem in core.start_up_problems:
        log.error("%s", problem)
    return changed


def _report(d: ddl.Duplicate) -> str:
    value = ", ".join(repr(v) for v in d.value)
    return (f"{d.class_name} rows {', '.join(d.object_ids)} share {value}: the unique index {d.index} is not created "
            "until they are resolved by hand (nothing was merged or deleted; docs/operations.md)")


async def _one_at_a_time(tx: Conn) -> None:
    """Processes starting together on one PostgreSQL schema take turns (the lock ends with the
    transaction); concurrent ``CREATE … IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION`` would
    otherwise fail on each other. SQLite's ``BEGIN IMMEDIATE`` already lets one writer in at a time."""
    await locks.initialize_lock(tx)


async def _ensure_ledger_view(tx: Conn, schema: ClassSchema, existing: ClassSchema | None,
                              stored: dict[str, ClassSchema], changed: list[str]) -> None:
    """The ledger's classes are views: rebuilt from the shipped fields, keeping a customised CLP."""
    upgraded = False
    if existing is not None:
        upgraded = _upgrade_clp(existing, schema)
        schema.clp = existing.clp
    same = existing is not None and existing.fields == schema.fields
    await ensure_view(tx, schema, unchanged=same)
    if same and not upgraded:
        return
    changed.append(schema.name)
    stored[schema.name] = schema
    await schema_store.save(tx, schema)


async def load_registry(core: Core) -> None:
    async with core.db.read() as conn:
        core.registry.replace_all(await schema_store.load_all(conn))
