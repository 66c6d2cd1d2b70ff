"""The Cloud Code the SDK suite's server loads (``--cloud``): it touches only classes of its own, so the
rest of the suite runs as without it (cloud.test.mjs)."""

from chartkeep import cloud


@cloud.define("sdkHello", fields={"name": {"type": str, "required": True}})
async def sdk_hello(req):
    return {"greeting": f"hello {req.params['name']}", "user": req.user["username"] if req.user else None}


@cloud.define("sdkRefuse")
async def sdk_refuse(req):
    raise cloud.Error(142, "Discharge summary needs a diagnosis")


@cloud.define("sdkCrash")
async def sdk_crash(req):
    raise RuntimeError("interaction table unavailable")


@cloud.before_save("SdkVisit")
async def tidy_visit(req):
    if req.context.get("reason"):  # save(..., {context: {reason}})
        req.object["reason"] = req.context["reason"]
    reason = req.object.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise cloud.Error(142, "A visit needs a reason")
    req.object["reason"] = reason.strip().lower()


@cloud.after_save("SdkVisit")
async def count_visit(req):
    if req.original is None:
        await req.save("SdkVisitLog", {"visit": {"__type": "Pointer", "className": "SdkVisit",
                                                 "objectId": req.object["objectId"]}}, use_master_key=True)


@cloud.job("sdkJob")
async def sdk_job(req):
    req.message("working")
    return f"done {req.params.get('n', 0)}"


@cloud.after_live_query_event("SdkVisit")
async def visit_event(req):
    """Each subscriber hears who it is; a quiet visit is heard by nobody."""
    if str(req.object.get("reason", "")).startswith("quiet"):
        req.send_event = False
    req.object["heardBy"] = req.user["username"] if req.user else None
