"""A database made before revisions existed gets ``previousVersion`` and its unique index at init."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chartkeep.schema_admin.bootstrap import initialize
from chartkeep.storage import ddl, rows, schema_store
from chartkeep.storage.database import IntegrityError

WHEN = datetime(2026, 1, 5, 10, tzinfo=UTC)


async def test_init_adds_the_revision_column_with_its_unique_index(core: Any) -> None:
    async with core.db.transaction() as tx:
        old = await schema_store.load_one(tx, "IntakeAssessment")
        spec = old.fields.pop("previousVersion")
        await tx.execute('DROP INDEX "IntakeAssessment_unique_previous"')
        await ddl.drop_field(tx, "IntakeAssessment", "previousVersion", spec)
        await schema_store.save(tx, old)
    assert "IntakeAssessment" in await initialize(core)
    schema = core.registry.get("IntakeAssessment")
    async with core.db.transaction() as tx:
        await rows.insert(tx, schema, {"objectId": "a1", "createdAt": WHEN, "updatedAt": WHEN, "previousVersion": "v1"})
    with pytest.raises(IntegrityError):
        async with core.db.transaction() as tx:
            await rows.insert(tx, schema, {"objectId": "a2", "createdAt": WHEN, "updatedAt": WHEN,
                                           "previousVersion": "v1"})
