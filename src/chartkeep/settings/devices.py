"""Mobile SDKs and admin tools (docs/devices.md): Parse Config, push."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DeviceSettings(BaseModel):
    config_cache_seconds: float = Field(
        5.0, description="How long Parse Config (GET /config) is reused before being read again (0: never "
        "cached). Changes take effect at once in this process and, with redis_url, in every other one; this "
        "bounds staleness only while Redis is unreachable."
    )
    config_max_bytes: int = Field(
        128 * 1024, description="Largest Parse Config (every parameter together, as JSON) PUT /config may store."
    )
    push_adapter: str | None = Field(
        None, description="module:factory of a push adapter of your own (factory(settings) returns it). Unset: "
        "the webhook adapter when push_webhook_url is set, else POST /push answers 115 Missing push configuration."
    )
    push_webhook_url: str | None = Field(
        None, description="Where the webhook push adapter POSTs each push: its payload and the matched "
        "installations' device tokens, in batches of push_batch_size."
    )
    push_webhook_secret: str | None = Field(
        None, description="When set, each webhook POST carries X-Chartkeep-Signature: sha256=<HMAC-SHA256 of the "
        "body with this secret>, so the receiver can tell it came from this server."
    )
    push_webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long one webhook POST may take (connect to last byte) before it counts as failed."
    )
    push_webhook_retries: int = Field(
        2, ge=0, description="How many times a failed webhook POST (timeout, connection error, HTTP 5xx or 429) "
        "is retried, with a growing pause, before its devices count as failed."
    )
    push_batch_size: int = Field(
        500, ge=1, description="Devices handed to the push adapter at once (one webhook POST each)."
    )
    push_shutdown_grace_seconds: float = Field(
        10.0, ge=0, description="When the server stops, how long pushes still being delivered may finish before "
        "they are cancelled (their _PushStatus is then left running)."
    )
