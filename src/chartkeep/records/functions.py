"""Cloud functions, called as Parse's ``POST /functions/<name>``: the ones the domains define on
the hook registry (core/hooks.py) at start-up."""

from __future__ import annotations

from typing import Any

from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.errors import Code, ParseError


async def call(core: Core, ctx: RequestContext, name: str, params: dict[str, Any]) -> dict[str, Any]:
    function = await core.hooks.find_function(core, name)
    if function is None:
        raise ParseError(Code.SCRIPT_FAILED, f'Invalid function: "{name}"')
    return {"result": await function(core, ctx, params)}
