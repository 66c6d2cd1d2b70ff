"""The value types settings of several domains share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_settings import NoDecode


def split_commas(value: Any) -> Any:
    """A list given as text (an environment variable, a flag), ``"a, b,"``, as ``["a", "b"]``; a list
    is taken as it is."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


# A list of names: comma-separated in env and flags (NoDecode: never read as JSON).
CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_commas)]
