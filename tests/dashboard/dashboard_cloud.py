"""The cloud file the dashboard test loads: one job the Jobs page runs."""

from chartkeep import cloud


@cloud.job("countPatients")
async def count_patients(req):
    await req.message("counting patients")
    count = len(await req.find("Patient", use_master_key=True))
    return f"{count} patients"
