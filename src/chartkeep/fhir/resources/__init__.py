"""One module per FHIR resource type: how the templates' rows become it, and its search parameters."""
