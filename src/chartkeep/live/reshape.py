"""What an ``after_live_query_event`` hook may change in a delivery: never what the subscriber reads.

The read guard decided the event's ``object`` (and ``original``) for one subscriber: its protected
fields removed, its ``keys`` applied. A hook may change the values it was given and add fields of
its own making (a computed label), but what it leaves is filtered against that decision:

* a field of the class the subscriber was not sent (protected, outside ``keys``, or unset) is
  dropped — a hook cannot add it back;
* the server's own fields — ``className``, ``objectId``, ``createdAt``, ``updatedAt``, ``ACL`` and
  the fields the server owns on the class (``Hooks.own``) — keep the decided values (or stay absent);
* an ``original`` the subscriber was not sent stays unsent.
"""

from __future__ import annotations

from typing import Any

from chartkeep.schema.model import ClassSchema

FIXED = frozenset({"className", "objectId", "createdAt", "updatedAt", "ACL"})


def within(schema: ClassSchema, owned: frozenset[str], decided: dict[str, Any], changed: dict[str, Any]
           ) -> dict[str, Any]:
    """``changed`` cut back to what ``decided`` allowed."""
    out: dict[str, Any] = {}
    for key, value in changed.items():
        if key in FIXED or key in owned:
            continue
        if key in schema.fields and (key not in decided or "*" in owned):
            continue  # a field the subscriber was not sent, or one the server sets
        out[key] = value
    for key in (*FIXED, *owned):
        if key in decided:
            out[key] = decided[key]
    if "*" in owned:  # every field is the server's: only added fields of the hook's own making change
        out.update({k: v for k, v in decided.items() if k in schema.fields})
    return out
