"""``GET /serverInfo`` (master key): what administration tools (Parse Dashboard, the SDKs'
``ParseServerInfo``) ask first, in Parse Server's shape — each feature flag true only for what
Chartkeep really serves."""

from __future__ import annotations

from typing import Any

from chartkeep import __version__
from chartkeep.errors import Code, ParseError

# The Parse Server release whose REST API Chartkeep answers as (docs/parse-compatibility.md): tools
# such as Parse Dashboard turn features on by comparing this version.
PARSE_SERVER_VERSION = "9.10.0"


NOT_SERVED = {
    "aggregate": "Aggregation pipelines (/aggregate) are not served by Chartkeep: use queries with count and "
                 "group the results in the client.",
    "purge": "Deleting every object of a class (/purge) is not served by Chartkeep: clinical records are "
             "deleted one by one, each with its ledger entry.",
    "scriptlog": "Server logs (/scriptlog) are not served by Chartkeep: read the server process's output.",
}


def not_served(feature: str) -> Any:
    """What administration tools ask for that Chartkeep does not serve: 108 with the reason, never a
    bare 404 a tool cannot show."""
    raise ParseError(Code.COMMAND_UNAVAILABLE, NOT_SERVED[feature])


def server_info(push_available: bool) -> dict[str, Any]:
    """``push_available``: a push adapter is configured (devices/push.py)."""
    features = {
        "globalConfig": {"create": True, "read": True, "update": True, "delete": True},  # /config
        "hooks": {"create": True, "read": True, "update": True, "delete": True},  # /hooks (cloud/webhooks.py)
        "cloudCode": {"jobs": True},  # POST /jobs (cloud/jobs.py)
        "logs": {"level": False, "size": False, "order": False, "until": False, "from": False},  # no /scriptlog
        "push": {
            "immediatePush": push_available,
            "scheduledPush": False,  # push_time is handed to the adapter, not scheduled here
            "storedPushData": push_available,  # _PushStatus
            "pushAudiences": False,  # no _Audience
            "localization": False,  # locale variants are passed through, not chosen per device
        },
        "schemas": {
            "addField": True, "removeField": True, "addClass": True, "removeClass": True,
            "clearAllDataFromClass": False,  # no DELETE /purge
            "exportClass": False,
            "editClassLevelPermissions": True, "editPointerPermissions": True,
        },
        "settings": {"securityCheck": False},
    }
    return {"features": features, "parseServerVersion": PARSE_SERVER_VERSION, "chartkeepVersion": __version__}
