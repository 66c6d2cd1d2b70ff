"""The demo clinic's Cloud Code: ``chartkeep serve --cloud examples/cloud/main.py``.

* ``remind_cosigners`` (a job, ``POST /parse/jobs/remind_cosigners`` with the master key): every
  attending co-signature requested more than ``hours`` ago (default 24) and still unsigned gets a
  ``CosignReminder`` its signer can read (and hear of over LiveQuery), once per signature.
* an after-save alert: when a PHQ-9 saved in ``IntakeAssessment`` raises the crisis flag (the server
  scores it: item 9 answered above 0), a ``CrisisAlert`` is stored for the patient's care team —
  with the assessment's own ACL, so no one who could not read the screen reads the alert.
* ``overdueCosignatures`` (a function, physicians only): the caller's own overdue requests, read
  as the caller — the care-team ACLs decide what it sees.

Every object written here goes through the same rules and ledger as a client's write; the ledger
entries name the job or trigger that made them (``metadata.cloud``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from chartkeep import cloud

log = logging.getLogger("clinic.cloud")


def _cutoff(hours: float) -> dict[str, str]:
    when = datetime.now(UTC) - timedelta(hours=hours)
    return {"__type": "Date", "iso": when.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _pointer(class_name: str, object_id: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": class_name, "objectId": object_id}


def _overdue_where(hours: float) -> dict:
    return {"status": "requested", "signatureRole": "attending", "requestedAt": {"$lt": _cutoff(hours)}}


@cloud.job("remind_cosigners")
async def remind_cosigners(req):
    hours = float(req.params.get("hours", 24))
    overdue = await req.find("Signature", _overdue_where(hours), order="requestedAt", limit=1000,
                             use_master_key=True)
    req.message(f"{len(overdue)} co-signatures overdue by more than {hours:g} h")
    sent = 0
    for signature in overdue:
        signer = signature["signer"]["objectId"]
        already = await req.first("CosignReminder", {"signature": _pointer("Signature", signature["objectId"])},
                                  use_master_key=True)
        if already is not None:
            continue
        await req.save("CosignReminder", {
            "signer": signature["signer"],
            "signature": _pointer("Signature", signature["objectId"]),
            "medicalNote": signature["medicalNote"],
            "requestedAt": signature["requestedAt"],
            "ACL": {signer: {"read": True}},
        }, use_master_key=True)
        sent += 1
    return f"{sent} reminders sent, {len(overdue) - sent} already reminded"


@cloud.after_save("IntakeAssessment")
async def crisis_alert(req):
    raised = req.object.get("crisisFlag") is True
    was = bool(req.original and req.original.get("crisisFlag"))
    if not raised or was:
        return
    log.warning("PHQ-9 crisis flag raised on assessment %s", req.object["objectId"])
    alert = {
        "assessment": _pointer("IntakeAssessment", req.object["objectId"]),
        "patient": req.object["patient"],
        "totalScore": req.object.get("totalScore"),
        "ACL": req.object.get("ACL") or {},  # exactly who may read the screen
    }
    if req.user:
        alert["raisedBy"] = _pointer("_User", req.user["objectId"])
    await req.save("CrisisAlert", alert, use_master_key=True)


@cloud.define("overdueCosignatures", require_any_user_roles=["physician"], validate_master_key=True,
              fields={"hours": {"type": float, "default": 24}})
async def overdue_cosignatures(req):
    where = {**_overdue_where(req.params["hours"]), "signer": _pointer("_User", req.user["objectId"])}
    found = await req.find("Signature", where, order="requestedAt")
    return [{"signature": s["objectId"], "medicalNote": s["medicalNote"]["objectId"],
             "requestedAt": s["requestedAt"]["iso"]} for s in found]
