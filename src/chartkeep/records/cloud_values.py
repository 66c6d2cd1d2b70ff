"""Parameters and results of built-in Cloud functions, in the shapes the Parse SDKs send and read.

``Parse.Cloud.run`` encodes a ``Parse.Object`` parameter as a Pointer and decodes a result object
carrying ``__type: "Object"`` and ``className`` back into a ``Parse.Object`` (Parse Server encodes
function results that way), so functions accept ids or Pointers and return full objects.
"""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError


def object_id(params: dict[str, Any], key: str, class_name: str, *, required: bool = True) -> str | None:
    """``params[key]`` as an objectId: an id string, a Pointer or a full object of ``class_name``."""
    value = params.get(key)
    if value is None:
        if required:
            raise ParseError(Code.VALIDATION_ERROR, f"{key} is required")
        return None
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and value.get("__type") in ("Pointer", "Object"):
        if value.get("className") != class_name or not isinstance(value.get("objectId"), str):
            raise ParseError(Code.INVALID_JSON, f"{key} must be a Pointer to {class_name}")
        return str(value["objectId"])
    raise ParseError(Code.INVALID_JSON, f"{key} must be an objectId or a Pointer to {class_name}")


def text(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(Code.INCORRECT_TYPE, f"{key} must be a string")
    return value


def pointer(class_name: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": oid}


def as_object(class_name: str, shown: dict[str, Any]) -> dict[str, Any]:
    """A read result as Parse encodes an object in a function result."""
    return {"__type": "Object", "className": class_name, **shown}


def require_user(ctx: RequestContext, what: str) -> str:
    if ctx.user_id is None:
        raise ParseError(Code.INVALID_SESSION_TOKEN, f"{what} needs a logged-in user.")
    return ctx.user_id
