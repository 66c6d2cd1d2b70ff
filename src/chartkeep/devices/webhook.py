"""The webhook push adapter: each batch of a push is POSTed as JSON to ``push_webhook_url``, where
a service of your own (or a relay to APNs/FCM) delivers it.

The body of each POST::

    {"pushStatusId": "…", "push": {"data": {...}, "push_time": …, "expiration_time": …},
     "devices": [{"deviceToken": "…", "deviceType": "ios", "badge": 3, …}, …]}

with ``Content-Type: application/json``, ``X-Parse-Push-Status-Id`` and, when
``push_webhook_secret`` is set, ``X-Chartkeep-Signature: sha256=<hex HMAC-SHA256 of the body>``.

Bounded: one POST carries at most ``push_batch_size`` devices; each attempt has
``push_webhook_timeout_seconds`` from connecting to the answer's last byte read (at most 64 KiB of
it); a timeout, a connection error, HTTP 5xx or 429 is retried ``push_webhook_retries`` times after
a growing pause (0.5 s, 1 s, 2 s… at most 5 s); any other answer is final. A 2xx answer counts the
batch's devices sent; anything else counts them failed, the reason kept for the ``_PushStatus``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence

import httpx
import orjson

from chartkeep import __version__
from chartkeep.devices.adapter import Delivery, Device, PushMessage
from chartkeep.settings import Settings

log = logging.getLogger("chartkeep.push")
ANSWER_BYTES = 64 * 1024  # what is read of the receiver's answer, at most
MAX_PAUSE = 5.0


class WebhookError(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason, self.retry = reason, retry


class WebhookAdapter:
    def __init__(self, settings: Settings) -> None:
        if not settings.push_webhook_url:
            raise ValueError("the webhook push adapter needs push_webhook_url")
        self.url = settings.push_webhook_url
        self.secret = settings.push_webhook_secret
        self.timeout = settings.push_webhook_timeout_seconds
        self.retries = settings.push_webhook_retries

    def body(self, message: PushMessage, devices: Sequence[Device]) -> bytes:
        return orjson.dumps({"pushStatusId": message.status_id, "push": message.to_json(),
                             "devices": [d.to_json() for d in devices]})

    def headers(self, message: PushMessage, body: bytes) -> dict[str, str]:
        out = {"Content-Type": "application/json", "User-Agent": f"chartkeep/{__version__}",
               "X-Parse-Push-Status-Id": message.status_id}
        if self.secret:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            out["X-Chartkeep-Signature"] = f"sha256={digest}"
        return out

    async def send(self, message: PushMessage, devices: Sequence[Device]) -> Delivery:
        body = self.body(message, devices)
        headers = self.headers(message, body)
        attempts = self.retries + 1
        reason = "not sent"
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            for attempt in range(attempts):
                if attempt:
                    await asyncio.sleep(min(MAX_PAUSE, 0.5 * 2 ** (attempt - 1)))
                try:
                    await asyncio.wait_for(self._post(client, body, headers), self.timeout)
                    return Delivery(sent=list(devices))
                except TimeoutError:
                    reason, retry = f"no answer within {self.timeout:g} s", True
                except WebhookError as exc:
                    reason, retry = exc.reason, exc.retry
                except httpx.HTTPError as exc:
                    reason, retry = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, True
                log.warning("push %s: webhook attempt %d of %d failed: %s", message.status_id, attempt + 1,
                            attempts, reason)
                if not retry:
                    attempts = attempt + 1
                    break
        return Delivery(failed=list(devices), error=f"webhook {self.url}: {reason} ({attempts} attempt"
                                                         f"{'s' if attempts > 1 else ''})")

    async def _post(self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> None:
        async with client.stream("POST", self.url, content=body, headers=headers) as answer:
            read = 0
            async for chunk in answer.aiter_raw():
                read += len(chunk)
                if read >= ANSWER_BYTES:
                    break
            status = answer.status_code
        if 200 <= status < 300:
            return
        raise WebhookError(f"HTTP {status}", retry=status >= 500 or status == 429)
