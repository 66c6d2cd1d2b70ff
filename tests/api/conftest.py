"""Parse-conformance tests run on open copies of the seed classes.

The seed classes carry Chartkeep's access policy (class-level permissions, care-team ACLs), which
tests/access covers. Tests of Parse's own contract — types, operators, ACLs as a client sets
them, batch, wire format — use ``OpenPatient``, ``OpenEncounter`` and ``OpenMedicalNote``: the
same fields (pointers re-targeted to the copies) on Parse's default, open class-level permissions,
created through the schema API as an app developer would.
"""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.schema_admin.schemas import create_schema

OPEN_COPIES = {"Patient": "OpenPatient", "Encounter": "OpenEncounter", "MedicalNote": "OpenMedicalNote"}


def open_copy_body(core: Any, seed_class: str) -> dict[str, Any]:
    fields = {}
    for name, spec in core.registry.get(seed_class).fields.items():
        raw = spec.to_json()
        if raw.get("targetClass") in OPEN_COPIES:
            raw["targetClass"] = OPEN_COPIES[raw["targetClass"]]
        fields[name] = raw
    return {"className": OPEN_COPIES[seed_class], "fields": fields}


@pytest.fixture(autouse=True)
async def open_classes(core: Any) -> None:
    for seed_class, copy in OPEN_COPIES.items():
        await create_schema(core, copy, open_copy_body(core, seed_class))
