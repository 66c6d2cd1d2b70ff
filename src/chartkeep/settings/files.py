"""Files and attachments (docs/files.md): the keys they are encrypted under, sizes, types, link lifetime."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from chartkeep.settings.values import CommaList

DEFAULT_FILE_TYPES = (
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/heic",
    "text/plain", "text/csv", "application/json", "application/dicom",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "audio/mpeg", "audio/wav", "video/mp4", "application/octet-stream",
)


class FilesSettings(BaseModel):
    files_key: str | None = Field(
        None,
        description="Master secret the per-file AES-256-GCM keys are derived from (HKDF-SHA256). When unset, "
        "one is generated at first start and kept in DATA_DIR/files.key. Every process must share it.",
    )
    files_key_id: str = Field(
        "k1", description="Id stored with each file encrypted under files_key; give a new secret a new id."
    )
    files_old_keys: CommaList = Field(
        default_factory=list,
        description="Retired file secrets still needed to read older files, as id:secret (comma-separated); "
        "`chartkeep files rekey` re-encrypts those files under files_key.",
    )
    files_max_bytes: int = Field(
        20 * 1024 * 1024, description="Largest file accepted by POST /files, in bytes (HTTP 413 above it)."
    )
    files_allowed_types: CommaList = Field(
        default_factory=lambda: list(DEFAULT_FILE_TYPES),
        description="Content types a file may be uploaded as (comma-separated; type/* allowed). HTML, SVG, "
        "scripts and executables are refused whatever this says.",
    )
    files_url_seconds: int = Field(
        300, description="Lifetime of a signed file download URL, in seconds."
    )

    @field_validator("files_old_keys")
    @classmethod
    def _id_secret_pairs(cls, value: list[str]) -> list[str]:
        for entry in value:
            key_id, sep, secret = entry.partition(":")
            if not sep or not key_id.strip() or not secret.strip():
                raise ValueError(f"files_old_keys entries are id:secret, got {entry.split(':')[0]!r}...")
        return value
