"""Chartkeep's shipped access policy (``templates/access.json``): roles, group roles, the classes
that hold care-team membership and break-the-glass grants, and the CLP of every seed class."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from chartkeep.schema.model import ClassSchema, class_from_json


@dataclass(frozen=True)
class AccessPolicy:
    roles: tuple[str, ...]  # the seed roles, created at init
    groups: dict[str, tuple[str, ...]]  # group role -> roles that inherit it
    definitions: dict[str, dict[str, Any]]  # extra classes (Parse schema JSON)
    clps: dict[str, dict[str, Any]]  # class -> class-level permissions

    def definition(self, class_name: str) -> ClassSchema:
        return class_from_json(self.definitions[class_name])

    def clp(self, class_name: str) -> dict[str, Any] | None:
        found = self.clps.get(class_name)
        return json.loads(json.dumps(found)) if found is not None else None  # a private copy


@cache
def load_policy() -> AccessPolicy:
    raw = json.loads(resources.files("chartkeep.schema").joinpath("templates/access.json").read_text("utf-8"))
    return AccessPolicy(
        roles=tuple(raw["roles"]),
        groups={name: tuple(members) for name, members in raw["groups"].items()},
        definitions={d["className"]: d for d in raw["definitions"]},
        clps=dict(raw["classes"]),
    )
