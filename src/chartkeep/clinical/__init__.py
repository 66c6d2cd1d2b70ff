"""Notes, versions, signatures and the patient chart (the general EHR template)."""
