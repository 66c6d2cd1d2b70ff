"""The route table shared by HTTP dispatch and ``/batch``: (method, path) → handler."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from chartkeep.api.rest.wire import Call
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError, Unauthorized
from chartkeep.storage.database import Conn


@dataclass(slots=True)
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Core, RequestContext, Call, Conn | None], Awaitable[Reply]]


@dataclass(slots=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]
    master_only: bool = False
    public: bool = False  # answers without an application id (health)


def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{regex}/?$")


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, template: str, methods: dict[str, Handler], master_only: bool = False, public: bool = False
            ) -> None:
        self.routes.append(Route(_compile(template), methods, master_only, public))

    def match(self, method: str, path: str) -> tuple[Route, Handler, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and method in route.methods:
                params = found.groupdict()
                _no_nul(params)
                return route, route.methods[method], params
        return None


def _no_nul(params: dict[str, str]) -> None:
    """A path part with NUL names nothing that can exist (PostgreSQL text cannot even hold it)."""
    for name, value in params.items():
        if "\x00" in value:
            if name == "className":
                raise ParseError(Code.INVALID_CLASS_NAME, "Invalid class name.")
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")


def require_master(ctx: RequestContext) -> None:
    if not ctx.is_master:
        raise Unauthorized("Permission denied")
