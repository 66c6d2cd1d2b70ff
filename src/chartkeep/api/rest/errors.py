"""The one place errors become HTTP responses, with Parse's status mapping."""

from __future__ import annotations

import logging

from starlette.responses import Response

from chartkeep.errors import BodyTooSlow, Code, ParseError, TooManyRequests, Unauthorized

log = logging.getLogger("chartkeep.api")


def json_response(body: bytes, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type="application/json; charset=utf-8", headers=headers)


def _text(value: str) -> str:
    from orjson import dumps

    return dumps(value).decode()


def error_response(exc: Exception) -> Response:
    if isinstance(exc, TooManyRequests):
        body = f'{{"code":{exc.code},"error":{_text(exc.message)}}}'
        return json_response(body.encode(), 429, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, BodyTooSlow):  # the rest of the body is never read: the connection is closed
        body = f'{{"code":{exc.code},"error":{_text(exc.message)}}}'
        return json_response(body.encode(), 408, {"Connection": "close"})
    if isinstance(exc, ParseError):
        status = 404 if exc.code == Code.OBJECT_NOT_FOUND else 500 if exc.code == Code.INTERNAL_SERVER_ERROR else 400
        body = f'{{"code":{exc.code},"error":{_text(exc.message)}}}'
        return json_response(body.encode(), status)
    if isinstance(exc, Unauthorized):
        return json_response(f'{{"error":{_text(exc.message)}}}'.encode(), 403)
    log.exception("unhandled error", exc_info=exc)
    return json_response(b'{"code":1,"error":"Internal server error."}', 500)
