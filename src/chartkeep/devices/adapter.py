"""The push adapter interface: what ``POST /push`` hands over, and how an adapter is chosen.

A push is delivered in batches of at most ``push_batch_size`` devices; for each batch the server
calls ``await adapter.send(message, devices)`` and records the ``Delivery`` it returns on the push's
``_PushStatus`` (devices sent and failed, per device type). An adapter never raises for a device it
could not reach: it reports it failed, with the reason in ``error``.

The ``push_adapter`` setting picks one (devices/push.py ``make_adapter``): ``package.module:factory``
(``factory(settings)`` returns an object with that ``send``, e.g. an APNs/FCM client of your own);
unset, the webhook adapter (devices/webhook.py) when ``push_webhook_url`` is set; otherwise there is
none and ``POST /push`` answers Parse's 115 ``Missing push configuration``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Device:
    """One installation a push goes to (only installations with a ``deviceToken`` are sent to)."""

    device_token: str
    device_type: str | None = None
    push_type: str | None = None
    app_identifier: str | None = None
    locale_identifier: str | None = None
    badge: float | None = None  # after the push's badge change, when it has one

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"deviceToken": self.device_token, "deviceType": self.device_type}
        for key, value in (("pushType", self.push_type), ("appIdentifier", self.app_identifier),
                           ("localeIdentifier", self.locale_identifier), ("badge", self.badge)):
            if value is not None:
                out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        return out


@dataclass(frozen=True, slots=True)
class PushMessage:
    """The push as the client sent it, checked: ``data`` (alert, badge, sound…), and the times
    Parse normalises (``expiration_time`` in epoch milliseconds, ``push_time`` as ISO text)."""

    status_id: str  # the _PushStatus row that tracks it
    data: dict[str, Any]
    push_time: str | None = None
    expiration_time: int | None = None
    expiration_interval: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"data": self.data}
        for key, value in (("push_time", self.push_time), ("expiration_time", self.expiration_time),
                           ("expiration_interval", self.expiration_interval)):
            if value is not None:
                out[key] = value
        return out


@dataclass(slots=True)
class Delivery:
    sent: list[Device] = field(default_factory=list)
    failed: list[Device] = field(default_factory=list)
    error: str | None = None  # why the failed ones failed


class PushAdapter(Protocol):
    async def send(self, message: PushMessage, devices: Sequence[Device]) -> Delivery: ...
