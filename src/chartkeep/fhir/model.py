"""What a FHIR resource type is made of: one or more sources (a Parse class, the rows of it that are
this resource, how a row becomes the resource) and the search parameters each understands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir.params import Clause, Param

Obj = dict[str, Any]
# Batched loads of what a page of rows needs besides themselves (one query per class, never per row)
Related = Callable[[Core, RequestContext, list[Obj]], Awaitable[dict[str, Any]]]
ToFhir = Callable[[Obj, dict[str, Any]], dict[str, Any]]


async def nothing_related(core: Core, ctx: RequestContext, rows: list[Obj]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Source:
    class_name: str
    to_fhir: ToFhir
    params: tuple[Param, ...] = ()
    sorts: dict[str, str] = field(default_factory=dict)  # FHIR sort name → Parse field
    prefix: str = ""  # the FHIR id is prefix + objectId
    where: Clause = field(default_factory=dict)  # the rows of the class that are this resource
    include: tuple[str, ...] = ()  # pointers to expand in the same read (batched, under the guard)
    related: Related = nothing_related
    root: str | None = None  # the chart root class (for Patient/$everything)
    patient_field: str | None = None  # the field pointing at ``root`` ("objectId" for the root itself)
    includes: dict[str, str] = field(default_factory=dict)  # ``_include`` parameter name → pointer field

    def object_id(self, fhir_id: str) -> str | None:
        """The objectId a FHIR id names in this source, or None when it belongs to another one."""
        if self.prefix:
            return fhir_id[len(self.prefix):] if fhir_id.startswith(self.prefix) else None
        return None if "-" in fhir_id else fhir_id

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    profile: str | None = None  # the US Core profile the resource follows, when one applies
    writable: bool = False

    def param_names(self) -> list[Param]:
        seen: dict[str, Param] = {}
        for source in self.sources:
            for p in source.params:
                seen.setdefault(p.name, p)
        return list(seen.values())

    def include_names(self) -> set[str]:
        return {name for s in self.sources for name in s.includes}

    def sort_names(self) -> set[str]:
        return {name for s in self.sources for name in s.sorts}
