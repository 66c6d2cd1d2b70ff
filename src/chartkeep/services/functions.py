"""Built-in Cloud functions, called as Parse's ``POST /functions/<name>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.services.attachment_url import get_attachment_url
from chartkeep.services.break_glass import break_the_glass
from chartkeep.services.core import Core

Function = Callable[[Core, RequestContext, dict[str, Any]], Awaitable[Any]]

BUILT_IN: dict[str, Function] = {
    "breakTheGlass": break_the_glass,
    "getAttachmentUrl": get_attachment_url,
}


async def call(core: Core, ctx: RequestContext, name: str, params: dict[str, Any]) -> dict[str, Any]:
    function = BUILT_IN.get(name)
    if function is None:
        raise ParseError(Code.SCRIPT_FAILED, f'Invalid function: "{name}"')
    return {"result": await function(core, ctx, params)}
