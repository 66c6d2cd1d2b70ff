"""FHIR R4 over the same records: the mapping of the templates' classes to FHIR resources, search
parameters compiled to Parse ``where`` (so to the same query IR, read guard and ledger entries as
the Parse API), and the writes FHIR clients may make. docs/fhir.md has the mapping decisions."""
