"""The FHIR R4 wire format: ``/fhir/R4`` routes over the ``chartkeep.fhir`` domain package."""
