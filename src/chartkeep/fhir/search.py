"""A FHIR search → one Parse ``where`` per source → ``records.reads.find`` (the same query IR, read
guard and ledger as the Parse API) → a ``searchset`` Bundle with paging links.

One query per source for the page, one count per source, plus the batched side-loads of the
resource (e.g. the current versions of a page of notes): never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError
from chartkeep.fhir import fetch
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import invalid, not_supported
from chartkeep.fhir.params import NOTHING, Clause, Param, ids_compile, split, table
from chartkeep.fhir.registry import RESOURCES, include_target

DEFAULT_COUNT = 50
MAX_COUNT = 1000


def common(source: Source) -> tuple[Param, ...]:
    """The parameters every resource takes, on ``source``'s rows."""
    return table(
        ("_id", "token", ids_compile(source.object_id), "The resource id"),
        ("_lastUpdated", "date", "updatedAt", "When it last changed (eq/lt/le/gt/ge)"),
    )


@dataclass
class Plan:
    count: int = DEFAULT_COUNT
    offset: int = 0
    order: list[tuple[str, bool]] = field(default_factory=list)  # (FHIR sort name, descending)
    filters: list[tuple[str, str | None, str]] = field(default_factory=list)  # (name, modifier, value)
    includes: list[str] = field(default_factory=list)  # ``_include`` parameter names of this type
    revincludes: list[tuple[str, str]] = field(default_factory=list)  # ``_revinclude`` (type, parameter)


def revinclude_pairs(type_name: str) -> list[tuple[str, str]]:
    """(type, reference parameter) pairs whose references can point at ``type_name``."""
    names = {"Patient": ("patient", "subject"), "DocumentReference": ("target",),
             "Practitioner": ("practitioner", "sender", "recipient")}.get(type_name, ())
    return [(r.name, p.name) for r in RESOURCES.values() for p in r.param_names()
            if p.type == "reference" and p.name in names]


def integer(name: str, value: str, low: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise invalid(f"{name} must be an integer, got {value!r}") from None
    if number < low:
        raise invalid(f"{name} must be at least {low}")
    return number


def plan(rtype: ResourceType, query: list[tuple[str, str]]) -> Plan:
    """Check every parameter: an unknown one, modifier or value is an error, never ignored."""
    out = Plan()
    known = {p.name for p in (*common(rtype.sources[0]), *rtype.param_names())}
    for key, value in query:
        name, _, modifier = key.partition(":")
        if name == "_count":
            out.count = min(integer("_count", value, 0), MAX_COUNT)
        elif name == "_offset":
            out.offset = integer("_offset", value, 0)
        elif name == "_format":
            if value not in ("json", "application/json", "application/fhir+json"):
                raise FhirFormat(value)
        elif name in ("_total", "_totalMethod"):  # the total is always counted (fhirpy sends _totalMethod)
            if value not in ("accurate", "estimate", "none", "count"):
                raise invalid(f"{name} must be accurate, estimate or none")
        elif name == "_include":
            if modifier:
                raise not_supported(f"_include:{modifier} is not supported")
            source_type, _, rest = value.partition(":")
            param, _, target = rest.partition(":")
            if source_type != rtype.name or param not in rtype.include_names():
                raise invalid(f"Unknown _include {value!r} for {rtype.name}: one of "
                              + ", ".join(f"{rtype.name}:{n}" for n in sorted(rtype.include_names())))
            if target and target not in ("Patient", "Practitioner", "Encounter"):
                raise invalid(f"Unknown _include target {target!r}")
            out.includes.append(param)
        elif name == "_revinclude":
            if modifier:
                raise not_supported(f"_revinclude:{modifier} is not supported")
            other, _, param = value.partition(":")
            if (other, param) not in revinclude_pairs(rtype.name):
                raise invalid(f"Unknown _revinclude {value!r} for {rtype.name}: one of "
                              + ", ".join(f"{t}:{n}" for t, n in revinclude_pairs(rtype.name)))
            out.revincludes.append((other, param))
        elif name == "_sort":
            for item in split(value):
                desc = item.startswith("-")
                sort = item[1:] if desc else item
                if sort not in ("_id", "_lastUpdated") and sort not in rtype.sort_names():
                    raise invalid(f"Unknown sort {sort!r} for {rtype.name}")
                out.order.append((sort, desc))
        elif name in known:
            out.filters.append((name, modifier or None, value))
        elif name.startswith("_"):
            raise not_supported(f"The search parameter {name} is not supported")
        else:
            raise invalid(f"Unknown search parameter {name!r} for {rtype.name}")
    return out


class FhirFormat(Exception):
    """``_format`` asks for something other than JSON (answered 406)."""


def where_for(source: Source, filters: list[tuple[str, str | None, str]]) -> Clause | None:
    """The Parse ``where`` of ``filters`` on ``source``; None when no row of it can match."""
    clauses: list[Clause] = [source.where] if source.where else []
    shared = {p.name: p for p in common(source)}
    for name, modifier, value in filters:
        param = shared.get(name) or source.param(name)
        if param is None:
            return None
        clause = param.compile(value, modifier)
        if clause == NOTHING:
            return None
        clauses.append(clause)
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def order_for(source: Source, order: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    fields: list[tuple[str, bool]] = []
    for name, desc in order:
        parse_field = {"_id": "objectId", "_lastUpdated": "updatedAt"}.get(name) or source.sorts.get(name)
        if parse_field:
            fields.append((parse_field, desc))
    if not fields:
        fields.append(("createdAt", False))
    if not any(name == "objectId" for name, _ in fields):
        fields.append(("objectId", False))  # a stable order, so pages neither repeat nor skip rows
    return fields


def _order_text(fields: list[tuple[str, bool]]) -> str:
    return ",".join(("-" if desc else "") + name for name, desc in fields)


def _sort_value(obj: dict[str, Any], name: str) -> Any:
    value = obj.get(name)
    if isinstance(value, dict):
        value = value.get("iso") or value.get("objectId")
    return value


def _merge(rows: list[tuple[Source, dict[str, Any]]], order: list[tuple[str, bool]]) -> None:
    """Sort rows of several sources by the same FHIR sort keys, each row by its own source's field
    (stable, last key first; a missing value sorts first)."""
    keys = [*order, ("_id", False)] if order else [("_created", False), ("_id", False)]
    for name, desc in reversed(keys):
        def value(row: tuple[Source, dict[str, Any]], name: str = name) -> tuple[bool, str]:
            source, obj = row
            field = {"_id": "objectId", "_lastUpdated": "updatedAt", "_created": "createdAt"}.get(name) \
                or source.sorts.get(name, "")
            found = _sort_value(obj, field)
            return found is not None, str(found if found is not None else "")

        rows.sort(key=value, reverse=desc)


async def run(
    core: Core, ctx: RequestContext, rtype: ResourceType, p: Plan, *, base_filters: list[tuple[str, str | None, str]]
    | None = None,
) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """The page of resources, the total number of matches, and the resources ``_include`` adds."""
    cap = core.settings.max_limit
    if cap is not None and p.count > cap:
        p.count = cap  # the server's bound on a read's limit bounds the page too (the links follow it)
    filters = [*(base_filters or []), *p.filters]
    picked: list[tuple[Source, dict[str, Any]]] = []
    total = 0
    several = len(rtype.sources) > 1
    for source in rtype.sources:
        where = where_for(source, filters)
        if where is None:
            continue
        fields = order_for(source, p.order)
        # one source: the page itself; several: each source's first offset+count rows, merged below
        limit, skip = (p.offset + p.count, 0) if several else (p.count, p.offset)
        found, count = await fetch.find(core, ctx, source.class_name, where, limit=limit, skip=skip,
                                        order=_order_text(fields), include=source.include, count=True)
        total += count or 0
        picked += [(source, obj) for obj in found]
    if several:
        _merge(picked, p.order)
        picked = picked[p.offset:p.offset + p.count]
    included = await render(core, ctx, await _included(core, ctx, picked, p.includes)) if p.includes else []
    page = await render(core, ctx, picked)
    refs = ",".join(f"{rtype.name}/{r['id']}" for r in page)
    for other, param in p.revincludes if refs else []:
        try:
            found, _, _ = await run(core, ctx, RESOURCES[other], Plan(count=MAX_COUNT),
                                    base_filters=[(param, None, refs)])
        except ParseError as exc:
            if exc.code != Code.OPERATION_FORBIDDEN:
                raise
            continue  # a class closed to the caller (the ledger to a clinician) adds nothing, as _include
        included += found
    return page, total, included


async def _included(core: Core, ctx: RequestContext, picked: list[tuple[Source, dict[str, Any]]], names: list[str]
                    ) -> list[tuple[Source, dict[str, Any]]]:
    """The objects the page's pointers name, one query per class under the caller's guard (one it may
    not read is left out; the page's own resources keep their references)."""
    wanted: dict[str, list[str]] = {}
    for source, obj in picked:
        for name in names:
            value = obj.get(source.includes.get(name, ""))
            if isinstance(value, dict) and value.get("className") and value.get("objectId"):
                ids = wanted.setdefault(str(value["className"]), [])
                if value["objectId"] not in ids:
                    ids.append(str(value["objectId"]))
    out: list[tuple[Source, dict[str, Any]]] = []
    for class_name, ids in wanted.items():
        found, _ = await fetch.find(core, ctx, class_name, {"objectId": {"$in": ids}}, limit=len(ids))
        for obj in found:
            target = include_target({**obj, "className": class_name})
            if target is not None:
                out.append((target, obj))
    return out


async def render(core: Core, ctx: RequestContext, picked: list[tuple[Source, dict[str, Any]]]
                 ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    groups: dict[int, tuple[Source, list[dict[str, Any]]]] = {}
    for source, obj in picked:
        groups.setdefault(id(source), (source, []))[1].append(obj)
    related = {key: await source.related(core, ctx, rows) for key, (source, rows) in groups.items()}
    for source, obj in picked:
        out.append(source.to_fhir(obj, related[id(source)]))
    return out


def bundle(resources: list[dict[str, Any]], total: int, base: str, rtype: str, query: list[tuple[str, str]],
           p: Plan, included: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    def link(relation: str, offset: int) -> dict[str, str]:
        kept = [(k, v) for k, v in query if k not in ("_offset", "_count")]
        return {"relation": relation,
                "url": f"{base}/{rtype}?" + urlencode([*kept, ("_count", str(p.count)), ("_offset", str(offset))])}

    links = [link("self", p.offset)]
    if p.offset + p.count < total and p.count > 0:
        links.append(link("next", p.offset + p.count))
    if p.offset > 0:
        links.append(link("previous", max(0, p.offset - p.count)))
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    entries = [(r, "match") for r in resources] + [(r, "include") for r in included or []]
    if entries:  # FHIR has no empty lists
        out["entry"] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                         "search": {"mode": mode}} for r, mode in entries]
    return out
