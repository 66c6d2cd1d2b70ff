"""File values inside Arrays (e.g. ``Message.attachments``): one stored shape, and the names in it.

A Parse SDK sends a saved ``Parse.File`` as ``{"__type": "File", "name", "url"}``; the url is a
signed link for the uploader that expires, so only ``{"__type": "File", "name"}`` is stored and
each reader gets a link of their own when the object is shown (records/present.py).
"""

from __future__ import annotations

from typing import Any

from chartkeep.errors import Code, ParseError


def is_file(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type") == "File"


def file_name(value: dict[str, Any]) -> str:
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise ParseError(Code.INVALID_FILE_NAME, "Invalid file name.")
    return name


def normalise_attachments(value: Any) -> list[dict[str, str]] | None:
    """A list of files (``[]``/``null`` allowed), each stored as ``{"__type": "File", "name"}``."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(is_file(v) for v in value):
        raise ParseError(Code.INCORRECT_TYPE, "attachments must be an array of files (Parse.File values).")
    return [{"__type": "File", "name": file_name(v)} for v in value]


def strip_file_urls(value: Any) -> Any:
    """An Array's File elements as ``{"__type": "File", "name"}``; other elements as they are."""
    if not isinstance(value, list):
        return value
    return [{"__type": "File", "name": file_name(v)} if is_file(v) else v for v in value]


def attachment_names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v["name"] for v in value if is_file(v) and isinstance(v.get("name"), str)]
