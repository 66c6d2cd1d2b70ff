"""``GET /fhir/R4/metadata``: a CapabilityStatement made from the resource registry, so it lists
exactly the types, interactions and search parameters the server answers."""

from __future__ import annotations

from typing import Any

from chartkeep.fhir.registry import RESOURCES
from chartkeep.fhir.search import common, revinclude_pairs

FHIR_VERSION = "4.0.1"
READS = ("read", "vread", "history-instance", "search-type")
WRITES = ("create", "update")


def capability_statement(base: str, software_version: str, date: str) -> dict[str, Any]:
    resources = []
    for rtype in RESOURCES.values():
        entry: dict[str, Any] = {
            "type": rtype.name,
            "interaction": [{"code": c} for c in (*READS, *(WRITES if rtype.writable else ()))],
            "versioning": "versioned",
            "readHistory": rtype.name == "DocumentReference",
            "updateCreate": False,
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                            for p in (*common(rtype.sources[0]), *rtype.param_names())],
        }
        if rtype.include_names():
            entry["searchInclude"] = [f"{rtype.name}:{n}" for n in sorted(rtype.include_names())]
        if revinclude_pairs(rtype.name):
            entry["searchRevInclude"] = [f"{t}:{n}" for t, n in revinclude_pairs(rtype.name)]
        if rtype.profile:
            entry["supportedProfile"] = [rtype.profile]
        if rtype.name == "Patient":
            entry["operation"] = [
                {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
            ]
        if rtype.name == "Group":
            entry["operation"] = [
                {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"},
            ]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": "Chartkeep", "version": software_version},
        "implementation": {"description": "Chartkeep FHIR R4 API", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": True,
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                         "code": "SMART-on-FHIR"}]}],
                "extension": [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                               "extension": [{"url": "authorize", "valueUri": f"{base}/auth/authorize"},
                                             {"url": "token", "valueUri": f"{base}/auth/token"},
                                             {"url": "revoke", "valueUri": f"{base}/auth/revoke"}]}],
                "description": "A Chartkeep session token as 'Authorization: Bearer <token>' or "
                               "X-Parse-Session-Token; a SMART on FHIR access token as 'Authorization: Bearer' "
                               "(/.well-known/smart-configuration); the master key (X-Parse-Master-Key) only "
                               "from the master-key IP allow-list.",
            },
            "resource": resources,
            "operation": [{"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}],
        }],
    }
