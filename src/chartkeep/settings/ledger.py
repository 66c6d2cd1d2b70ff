"""The audit ledger: reads recorded, hash chains, signed checkpoints and where they are shipped
(docs/audit.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class LedgerSettings(BaseModel):
    audit_reads: bool = Field(
        True,
        description="Record every read of patient data in the audit ledger (ONC 170.315(d)(2)). Turning it "
        "off is for measuring the ledger's cost only: writes, logins and refusals are recorded regardless.",
    )
    ledger_chains: int = Field(
        16, ge=1, le=1024,
        description="Number of hash chains the audit ledger is split into, so writes to different charts do "
        "not wait on one chain head. Used once, when the ledger is created; the number is then kept in the "
        "database and a later change of this setting is ignored (with a warning at start), so no chart moves.",
    )
    ledger_signing_key: Path | None = Field(
        None,
        description="Ed25519 key file that signs ledger checkpoints (PEM; created on first use with mode "
        "0600). Keep it where the database's users cannot read it. Default: ~/.config/chartkeep/"
        "ledger-signing.key (outside the data directory); its public key is written next to it as .pub.",
    )
    ledger_checkpoint_seconds: float = Field(
        3600.0, ge=0,
        description="Interval of signed ledger checkpoints taken by the server (one process only, also with "
        "--workers); 0 turns the periodic checkpoint off (`chartkeep audit checkpoint` still takes one).",
    )
    ledger_checkpoint_file: Path | None = Field(
        None, description="File sink: each checkpoint is appended to this file as one JSON line."
    )
    ledger_checkpoint_webhook: str | None = Field(
        None, description="Webhook sink: each checkpoint is POSTed to this URL as JSON."
    )

    def resolved_signing_key(self) -> Path:
        if self.ledger_signing_key is not None:
            return self.ledger_signing_key.expanduser()
        return Path("~/.config/chartkeep/ledger-signing.key").expanduser()
