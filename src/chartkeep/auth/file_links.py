"""Short-lived signed download links.

A link is ``{base}/files/{appId}/{name}?exp={unix time}&u={principal}&sig={HMAC}`` where the
principal is the user the link was issued to (``_master`` / ``_public`` for the master key or an
anonymous reader) and the HMAC-SHA256 (key derived from the current file secret) covers the app id,
the name, the expiry and the principal. Links are made only for readers who just passed the read
filter on an object holding the file (``RequestContext.file_link``, set for every request), and
the download checks again that this principal can still read such an object — a link copied to
someone else still acts only for the user it names.
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.settings import Settings
from chartkeep.storage.file_crypto import url_key

MASTER, PUBLIC = "_master", "_public"


class LinkRefused(ParseError):
    """A missing, tampered or expired link: HTTP 403 with a Parse error body."""

    def __init__(self, message: str) -> None:
        super().__init__(Code.OPERATION_FORBIDDEN, message)


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    expires: int
    principal: str  # a user's objectId, MASTER or PUBLIC


def principal_of(ctx: RequestContext) -> str:
    if ctx.is_master:
        return MASTER
    return ctx.user_id or PUBLIC


def _link_key(settings: Settings) -> bytes:
    secret, _ = settings.ensure_files_key()
    return url_key(secret.encode())


def _signature(settings: Settings, name: str, expires: int, principal: str, key: bytes | None = None) -> str:
    message = f"v1\n{settings.app_id}\n{name}\n{expires}\n{principal}".encode()
    digest = hmac.digest(key if key is not None else _link_key(settings), message, "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(settings: Settings, ctx: RequestContext, name: str, now: float | None = None) -> str:
    return signer(settings, principal_of(ctx), ctx.base_url, now)(name)


def signer(settings: Settings, principal: str, base_url: str, now: float | None = None) -> Callable[[str], str]:
    """Signs file names for ``principal`` (a user's objectId, MASTER or PUBLIC), as links under
    ``base_url``, valid ``files_url_seconds`` from ``now``. REST signs through the reader's
    ``RequestContext``; LiveQuery signs each event for each subscriber (live/render.py)."""
    expires = int(now if now is not None else time.time()) + settings.files_url_seconds
    prefix = f"{base_url}/files/{quote(settings.app_id, safe='')}/"
    key = _link_key(settings)

    def sign(name: str) -> str:
        sig = _signature(settings, name, expires, principal, key)
        return f"{prefix}{quote(name, safe='')}?exp={expires}&u={principal}&sig={sig}"

    return sign


def link_maker(settings: Settings, ctx: RequestContext) -> Callable[[str], str]:
    """What ``present`` calls for each File value shown to this reader."""
    return lambda name: signed_url(settings, ctx, name)


def verify(settings: Settings, name: str, query: Mapping[str, str], now: float | None = None) -> Link:
    exp, who, sig = query.get("exp"), query.get("u"), query.get("sig")
    if not exp or not who or not sig or not exp.isdigit():
        raise LinkRefused("Permission denied: a file is downloaded through a signed link.")
    expected = _signature(settings, name, int(exp), who)
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        raise LinkRefused("Permission denied: this file link is invalid.")
    if int(exp) < (now if now is not None else time.time()):
        raise LinkRefused("Permission denied: this file link has expired.")
    return Link(name, int(exp), who)
