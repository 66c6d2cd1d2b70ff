"""The FHIR interactions over the shared read path: read, vread, history, search, $everything."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.fhir import fetch, search
from chartkeep.fhir.model import ResourceType, Source
from chartkeep.fhir.outcome import FhirError, invalid, not_found
from chartkeep.fhir.registry import EVERYTHING, RESOURCES
from chartkeep.fhir.resources import document
from chartkeep.fhir.values import parse_patient, patient_id, pointer, version_of


def resource_type(name: str) -> ResourceType:
    found = RESOURCES.get(name)
    if found is None:
        raise FhirError(404, "not-supported", f"Resource type {name!r} is not supported")
    return found


def _source(rtype: ResourceType, fhir_id: str) -> tuple[Source, str]:
    for source in rtype.sources:
        object_id = source.object_id(fhir_id)
        if object_id:
            return source, object_id
    raise not_found(rtype.name, fhir_id)


async def _row(core: Core, ctx: RequestContext, rtype: ResourceType, fhir_id: str) -> tuple[Source, dict[str, Any]]:
    source, object_id = _source(rtype, fhir_id)
    where: dict[str, Any] = {"objectId": object_id}
    if source.where:
        where = {"$and": [where, source.where]}
    found, _ = await fetch.find(core, ctx, source.class_name, where, limit=1, include=source.include)
    if not found:
        raise not_found(rtype.name, fhir_id)  # hidden and missing look the same
    return source, found[0]


async def read(core: Core, ctx: RequestContext, type_name: str, fhir_id: str) -> dict[str, Any]:
    rtype = resource_type(type_name)
    source, row = await _row(core, ctx, rtype, fhir_id)
    return (await search.render(core, ctx, [(source, row)]))[0]


async def vread(core: Core, ctx: RequestContext, type_name: str, fhir_id: str, version: str) -> dict[str, Any]:
    rtype = resource_type(type_name)
    source, row = await _row(core, ctx, rtype, fhir_id)
    if rtype.name == "DocumentReference":
        if not version.isdigit():
            raise not_found(f"{type_name}/{fhir_id}/_history", version)
        where = {"medicalNote": pointer("MedicalNote", row["objectId"]), "versionNumber": int(version)}
        versions, signatures = await document.versions_and_signatures(core, ctx, where)
        if not versions:
            raise not_found(f"{type_name}/{fhir_id}/_history", version)
        v = versions[0]
        return document.render(row, v, signatures[v["objectId"]], current=v.get("versionNumber") ==
                               row.get("currentVersionNumber"))
    if version != version_of(row):
        raise FhirError(404, "not-found", f"{type_name}/{fhir_id} keeps only its current version "
                                          f"({version_of(row)}); earlier states are in the audit ledger")
    return (await search.render(core, ctx, [(source, row)]))[0]


async def history(core: Core, ctx: RequestContext, type_name: str, fhir_id: str, base: str) -> dict[str, Any]:
    rtype = resource_type(type_name)
    source, row = await _row(core, ctx, rtype, fhir_id)
    if rtype.name == "DocumentReference":
        versions, signatures = await document.versions_and_signatures(
            core, ctx, {"medicalNote": pointer("MedicalNote", row["objectId"])})
        resources = [document.render(row, v, signatures[v["objectId"]],
                                     current=v.get("versionNumber") == row.get("currentVersionNumber"))
                     for v in versions]
    else:
        resources = await search.render(core, ctx, [(source, row)])
    return {
        "resourceType": "Bundle",
        "type": "history",
        "total": len(resources),
        "entry": [{"fullUrl": f"{base}/{type_name}/{fhir_id}", "resource": r,
                   "request": {"method": "PUT", "url": f"{type_name}/{fhir_id}/_history/{r['meta']['versionId']}"},
                   "response": {"status": "200"}} for r in resources],
    }


async def find(core: Core, ctx: RequestContext, type_name: str, query: list[tuple[str, str]], base: str,
               base_filters: list[tuple[str, str | None, str]] | None = None) -> dict[str, Any]:
    """``base_filters``: filters the caller cannot lift (a SMART token's patient compartment)."""
    rtype = resource_type(type_name)
    p = search.plan(rtype, query)
    resources, total, included = await search.run(core, ctx, rtype, p, base_filters=base_filters)
    return search.bundle(resources, total, base, type_name, query, p, included)


async def everything(core: Core, ctx: RequestContext, fhir_id: str, query: list[tuple[str, str]], base: str
                     ) -> dict[str, Any]:
    """The patient and every resource of their chart the caller may read: one search per type,
    each through the same read path (``_count`` caps each type; a type with more says so in a
    ``next`` link to its own search)."""
    count = search.DEFAULT_COUNT * 20
    for key, value in query:
        if key != "_count":
            raise invalid(f"Patient/$everything takes only _count, not {key!r}")
        count = min(search.integer("_count", value, 1), search.MAX_COUNT)
    patient = await read(core, ctx, "Patient", fhir_id)
    root, object_id = parse_patient(fhir_id)
    entries = [patient]
    links: list[dict[str, str]] = []
    ref = f"Patient/{patient_id(root, object_id)}"
    for type_name in EVERYTHING[root]:
        rtype = RESOURCES[type_name]
        p = search.Plan(count=count)
        resources, total, _ = await search.run(core, ctx, rtype, p, base_filters=[("patient", None, ref)])
        entries += resources
        if total > len(resources):
            links.append({"relation": "next", "url": f"{base}/{type_name}?patient={ref}&_count={p.count}"
                                                     f"&_offset={p.count}"})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries),
        "link": [{"relation": "self", "url": f"{base}/Patient/{fhir_id}/$everything"}, *links],
        "entry": [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                   "search": {"mode": "match" if r is patient else "include"}} for r in entries],
    }
