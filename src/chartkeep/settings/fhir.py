"""FHIR (docs/fhir.md): Bulk Data ``$export`` jobs, their claims and their resumption."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FhirSettings(BaseModel):
    fhir_export_lease_seconds: float = Field(
        30.0, gt=0, description="How long a server process's claim on a running $export job lasts; it is renewed "
        "every third of that. When a process dies its claim lapses after this long, and another process resumes "
        "the job (a process that stops normally hands its jobs back at once)."
    )
    fhir_export_sweep_seconds: float = Field(
        10.0, ge=0, description="How often each server process looks for $export jobs no process runs (handed "
        "back, or their claim lapsed) and resumes them; it also looks at start-up. 0: at start-up only."
    )
    fhir_export_max_attempts: int = Field(
        3, ge=1, description="How many runs of one $export job may end with their process dying (the claim "
        "lapsing) before the job is marked failed instead of resumed again."
    )
