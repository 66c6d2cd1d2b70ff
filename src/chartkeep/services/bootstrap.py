"""``init``: create the system tables and load the seed templates (idempotent, safe on every start)."""

from __future__ import annotations

from collections.abc import Callable

from chartkeep.schema.model import ClassSchema, FieldSpec
from chartkeep.schema.system import default_clp, system_classes
from chartkeep.schema.templates import merge_templates
from chartkeep.services.core import Core
from chartkeep.storage import ddl, schema_store
from chartkeep.storage.internal import ensure_internal_tables

Progress = Callable[[str], None]


def wanted_classes(template_names: list[str]) -> dict[str, ClassSchema]:
    """System classes plus every class of the chosen templates (``_User`` fields merged in)."""
    out = system_classes()
    for name, schema in merge_templates(template_names).items():
        if name in out:
            out[name].fields.update(schema.fields)
        else:
            schema.clp = schema.clp or default_clp()
            out[name] = schema
    return out


async def initialize(core: Core, progress: Progress | None = None) -> list[str]:
    """Create what is missing; return the names of classes created or extended."""
    changed: list[str] = []
    async with core.db.transaction() as tx:
        await ddl.ensure_schema_table(tx)
        await ensure_internal_tables(tx)
        stored = await schema_store.load_all(tx)
        for name, schema in wanted_classes(core.settings.templates).items():
            if progress:
                progress(name)
            existing = stored.get(name)
            if existing is None:
                await ddl.create_class_table(tx, schema)
                stored[name] = schema
                changed.append(name)
            else:
                missing: dict[str, FieldSpec] = {
                    f: s for f, s in schema.fields.items() if f not in existing.fields
                }
                if not missing:
                    continue
                for field_name, spec in missing.items():
                    await ddl.add_field(tx, name, field_name, spec)
                    existing.fields[field_name] = spec
                changed.append(name)
            await schema_store.save(tx, stored[name])
    core.registry.replace_all(stored)
    return changed


async def load_registry(core: Core) -> None:
    async with core.db.read() as conn:
        core.registry.replace_all(await schema_store.load_all(conn))
