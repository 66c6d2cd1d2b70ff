"""SMART on FHIR App Launch 2.0, standalone launch: registered apps, codes, tokens, scopes (docs/fhir.md)."""
