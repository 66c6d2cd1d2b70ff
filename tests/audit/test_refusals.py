"""Refusals leave a ledger entry with their outcome: credentials that do not hold (an invalid
session token, a wrong master key), another user's account (206), a clinical role asked for at
self sign-up, and ``patientChart`` of a patient outside the caller's care team."""

from __future__ import annotations

from typing import Any

import orjson

from tests.audit.helpers import head
from tests.clinical.helpers import call
from tests.conftest import Api, row_count
from tests.policy.world import build_world


async def entries(core: Any, seq: int) -> list[dict[str, Any]]:
    p = "$1" if core.db.dialect.name == "postgresql" else "?"
    async with core.db.read() as conn:
        found = await conn.fetch('SELECT "eventType", "actor", "patient", "targetClass", "targetId", "outcome", '
                                 f'"details", "metadata" FROM "_Audit" WHERE "seq" > {p} ORDER BY "seq"', [seq])
    out = []
    for r in found:
        row = dict(r)
        if isinstance(row["metadata"], str | bytes):
            row["metadata"] = orjson.loads(row["metadata"])
        out.append(row)
    return out


def picked(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(r[k] for k in keys) for r in rows]


async def test_invalid_session_token_and_wrong_master_key_are_recorded(api: Api, core: Any) -> None:
    seq = await head(core)
    r = await api.get("/classes/Patient", session="r:not-a-session")
    assert (r.status_code, r.json()) == (400, {"code": 209, "error": "Invalid session token"})
    r = await api.get("/classes/Patient", headers={"X-Parse-Master-Key": "guess"})
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})
    found = await entries(core, seq)
    assert picked(found, "eventType", "actor", "outcome", "details", "metadata") == [
        ("auth_failed", None, "failure", "209: Invalid session token", {"credential": "sessionToken"}),
        ("auth_failed", None, "failure", "119: Permission denied",
         {"credential": "masterKey", "reason": "wrong master key"}),
    ]
    assert "not-a-session" not in orjson.dumps(found).decode() and "guess" not in orjson.dumps(found).decode()


async def test_refused_user_writes_and_clinical_self_sign_up_are_recorded(api: Api, core: Any) -> None:
    mallory = await api.signup("mallory")
    victim = await api.signup("victim")
    seq = await head(core)
    r = await api.put(f"/users/{victim['objectId']}", {"email": "m@example.com"}, session=mallory["sessionToken"])
    assert (r.status_code, r.json()) == (400, {"code": 206, "error": "Permission denied"})
    r = await api.delete(f"/users/{victim['objectId']}", session=mallory["sessionToken"])
    assert r.json() == {"code": 206, "error": "Insufficient auth to delete user"}
    users = await row_count(core, "_User")
    r = await api.post("/users", {"username": "selfdoc", "password": "Long-enough-pw-1", "role": "physician"})
    assert (r.status_code, r.json()["code"]) == (400, 119)
    assert await row_count(core, "_User") == users
    assert picked(await entries(core, seq), "eventType", "actor", "targetClass", "targetId", "outcome", "details") == [
        ("update", mallory["objectId"], "_User", victim["objectId"], "failure", "206: Permission denied"),
        ("delete", mallory["objectId"], "_User", victim["objectId"], "failure",
         "206: Insufficient auth to delete user"),
        ("create", None, "_User", None, "failure",
         "119: Permission denied: the role physician is assigned by an administrator."),
    ]


async def test_patient_chart_of_another_teams_patient_is_recorded(api: Api, core: Any) -> None:
    w = await build_world(api)
    seq = await head(core)
    r = await call(api, "patientChart", {"patient": w.ids["Patient"]}, w.token("outsider"))
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    found = await entries(core, seq)
    assert picked(found, "eventType", "actor", "patient", "targetClass", "targetId", "outcome", "details",
                  "metadata") == [
        ("read", w.users["outsider"]["objectId"], w.ids["Patient"], "Patient", w.ids["Patient"], "failure",
         "101: Object not found.", {"function": "patientChart"}),
    ]
