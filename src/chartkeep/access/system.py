"""Parse's fixed rules on its own classes, whatever their class-level permissions say.

As Parse Server's ``enforceRoleSecurity`` (SharedRest.js): no client may find or delete
installations (a device reaches its own installation by objectId or installationId), and
``_PushStatus`` and ``_GlobalConfig`` are the master key's alone. The messages are Parse's.
"""

from __future__ import annotations

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.schema.system import INSTALLATION_MASTER_ONLY, MASTER_ONLY_CLASSES


def enforce(ctx: RequestContext, method: str, class_name: str) -> None:
    """``method``: find, get, create, update or delete (a count is a find)."""
    if ctx.is_master:
        return
    if class_name == "_Installation" and method in INSTALLATION_MASTER_ONLY:
        raise ParseError(
            Code.OPERATION_FORBIDDEN,
            f"Clients aren't allowed to perform the {method} operation on the installation collection.",
        )
    if class_name in MASTER_ONLY_CLASSES:
        raise ParseError(
            Code.OPERATION_FORBIDDEN,
            f"Clients aren't allowed to perform the {method} operation on the {class_name} collection.",
        )
