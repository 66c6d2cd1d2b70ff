"""The cloud file the tests load: friendly functions, validators, and hostile code (raises, hangs,
tries to change what the server owns, tries to read a chart its caller is not on)."""

import asyncio

from chartkeep import cloud
from tests.cloud.seen import EVENTS


@cloud.define("hello", fields={"name": {"type": str, "required": True}})
async def hello(req):
    who = req.user["username"] if req.user else None
    return {"greeting": f"hello {req.params['name']}", "user": who, "master": req.master}


@cloud.define("pick", fields={"color": {"type": str, "options": ["red", "blue"], "default": "red"},
                              "count": {"type": int}})
async def pick(req):
    return {"color": req.params["color"], "count": req.params.get("count")}


@cloud.define("physiciansOnly", require_any_user_roles=["physician"])
async def physicians_only(req):
    return "ok"


@cloud.define("loggedIn", require_user=True)
async def logged_in(req):
    return req.user["objectId"]


@cloud.define("masterOnly", require_master=True)
async def master_only(req):
    return "master"


@cloud.define("refuse")
async def refuse(req):
    raise cloud.Error(142, "Discharge summary needs a diagnosis")


@cloud.define("crash")
async def crash(req):
    raise RuntimeError("dosage table missing")


@cloud.define("hang")
async def hang(req):
    await asyncio.sleep(60)


@cloud.define("add")
def add(req):  # a plain def: runs in a worker thread
    return req.params["a"] + req.params["b"]


@cloud.define("notJson")
async def not_json(req):
    return {1, 2}


@cloud.define("echoHeaders")
async def echo_headers(req):
    return {"clinic": req.headers.get("x-clinic"), "keys": sorted(req.headers)}


@cloud.define("countPatients")
async def count_patients(req):
    """As the caller, then — only because the code says so — with the master key."""
    mine = await req.find("Patient")
    every = await req.find("Patient", use_master_key=True)
    return {"mine": len(mine), "all": len(every)}


@cloud.define("readChart")
async def read_chart(req):
    """Tries to read a chart by id without the master key."""
    patient = await req.get("Patient", req.params["patient"])
    return patient["fullName"]


@cloud.define("renamePatient")
async def rename_patient(req):
    return await req.save("Patient", {"fullName": req.params["fullName"]}, object_id=req.params["patient"])


@cloud.define("unsignNote")
async def unsign_note(req):
    """Hostile: puts a signed note back to draft, even with the master key."""
    return await req.save("MedicalNote", {"status": "draft"}, object_id=req.params["note"], use_master_key=True)


@cloud.before_save("Patient")
async def tidy_patient(req):
    name = req.object.get("fullName")
    if isinstance(name, str):
        req.object["fullName"] = name.strip()
    mrn = req.object.get("mrn")
    if mrn == "REFUSE":
        raise cloud.Error(142, "MRN REFUSE is reserved")
    if mrn == "CRASH":
        raise ValueError("patient trigger crashed")
    if mrn == "HANG":
        await asyncio.sleep(60)
    if mrn == "WIDEN":
        req.object["ACL"] = {"*": {"read": True}}
    if mrn == "NEWFIELD":
        req.object["nickname"] = "x"
    if mrn == "STAMP":  # a field the client did not send: the write's ledger entry names this trigger
        req.object["status"] = "flagged"


@cloud.after_save("Patient")
async def flag_patient(req):
    EVENTS.append(req.object["objectId"])
    if str(req.object.get("fullName", "")).startswith("Flag") and req.object.get("status") != "flagged":
        await req.save("Patient", {"status": "flagged"}, object_id=req.object["objectId"], use_master_key=True)
    if req.object.get("mrn") == "AFTER-CRASH":
        raise RuntimeError("after_save broke")


@cloud.before_save("MedicalNote")
async def hostile_note(req):
    if req.object.get("title") == "sign it":
        req.object["status"] = "signed"
    if req.object.get("title") == "steal it":
        req.object["author"] = {"__type": "Pointer", "className": "_User", "objectId": "someoneElse"}


@cloud.before_save("Signature")
async def forge_signature(req):
    """Hostile: marks a requested signature signed, with a hash of its own."""
    if req.object.get("signatureRole") == "specialist":
        req.object["status"] = "signed"
    if req.object.get("signatureRole") == "resident":
        req.object["contentHash"] = "0" * 64


@cloud.before_save("IntakeAssessment")
async def hostile_score(req):
    if req.object.get("details") == "lower the score":
        req.object["totalScore"] = 0


@cloud.before_save("CloudThing")
async def lower_label(req):
    if "label" in req.context:  # the client's save(..., {context}) option
        req.object["label"] = req.context["label"]
    if isinstance(req.object.get("label"), str):
        req.object["label"] = req.object["label"].lower()


@cloud.before_delete("CloudThing")
async def keep_locked(req):
    if req.object.get("locked"):
        raise cloud.Error(119, "A locked thing stays")


@cloud.after_delete("CloudThing")
async def after_thing_delete(req):
    EVENTS.append("deleted " + req.object["objectId"])


@cloud.before_find("CloudThing")
async def hide_archived(req):
    req.query["where"] = {**(req.query.get("where") or {}), "archived": {"$ne": True}}


@cloud.after_find("CloudThing")
async def shape_things(req):
    if req.headers.get("x-fabricate"):
        req.objects.append({"objectId": "fabricated", "label": "not found by the query"})
    req.objects = [{**o, "seenBy": "cloud"} for o in req.objects if not o.get("secret")]


@cloud.before_find("Patient")
async def widen_patients(req):
    """Hostile: tries to drop every constraint of a query (the read guard stays)."""
    if (req.query.get("where") or {}).get("mrn") == "WIDEN-ALL":
        req.query["where"] = {}


@cloud.before_login
async def suspended(req):
    if req.object["username"].startswith("blocked"):
        raise cloud.Error(119, "This account is suspended by the clinic")


@cloud.after_login
async def logged_in_hook(req):
    EVENTS.append("login " + req.object["username"])
    if req.object["username"].startswith("crashy"):
        raise cloud.Error(141, "after_login broke")


@cloud.after_logout
async def logged_out_hook(req):
    EVENTS.append("logout " + req.object["objectId"])


@cloud.before_save_file
async def scrub_upload(req):
    name = req.file["name"]
    if name.startswith("refuse"):
        raise cloud.Error(130, "Uploads named refuse are not accepted")
    if name.endswith(".txt"):
        req.file["data"] = req.file["data"].upper()
        req.file["name"] = "clean-" + name
    if name.startswith("evil"):  # hostile: turns an upload into HTML, which no client may store
        req.file["name"], req.file["content_type"], req.file["data"] = "evil.html", "text/html", b"<html></html>"


@cloud.after_save_file
async def saw_upload(req):
    EVENTS.append("file " + req.file["name"])


@cloud.before_connect
async def block_device(req):
    if req.installation_id == "banned-device":
        raise cloud.Error(119, "This device is not allowed")


@cloud.before_subscribe("CloudThing")
async def live_things(req):
    where = req.query.get("where") or {}
    if where.get("label") == "forbidden":
        raise cloud.Error(119, "No subscribing to that")
    req.query["where"] = {**where, "archived": {"$ne": True}}


@cloud.after_live_query_event("LiveThing")
async def live_thing_event(req):
    label = req.object.get("label")
    if label == "drop":
        req.send_event = False
        return
    if label == "crash":
        raise RuntimeError("live hook broke")
    if label == "slow":
        await asyncio.sleep(5)
    if label == "widen":  # hostile: tries to show a protected field and to change what the server owns
        req.object["secret"] = "leaked"
        req.object["objectId"] = "forged"
        req.object["ACL"] = {"*": {"read": True, "write": True}}
        if req.original is not None:
            req.original["secret"] = "leaked too"
    who = req.user["username"] if req.user else "nobody"
    req.object["heard"] = f"{req.event} by {who} from {req.installation_id}"
    req.object["label"] = label.upper() if isinstance(label, str) else label
    if req.original is not None:
        req.object["was"] = req.original.get("label")
    EVENTS.append(f"live {req.event} {label} {who}")


@cloud.job("remind")
async def remind(req):
    req.message("counting patients")
    count = len(await req.find("Patient", use_master_key=True))
    return f"{count} patients"


@cloud.job("explode")
async def explode(req):
    await req.message("about to fail")
    raise RuntimeError("job broke")
