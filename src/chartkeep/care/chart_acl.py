"""Built-in hooks that put every chart object under its patient's care team.

On create, each chart object gets a server-computed ACL: its care-team role reads it (and writes
it where the workflow allows), admins read it, and named people (the signer of a Signature, the
uploader of an Attachment, the patient of a behavioral-health record) get what their part needs.
A non-master caller must be on the team to add anything to a chart; the links that place an
object in a chart never change; an ACL sent by a client is replaced (create) or refused (update).
Team membership is recomputed when one of its sources is written (see ``care_team``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chartkeep.care import team as care_team
from chartkeep.care.team import ADMIN, MEMBERS, require_team, team_principal, team_role
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.errors import Code, ParseError
from chartkeep.records import commit
from chartkeep.schema.charts import LINKS, ChartLink


@dataclass(frozen=True)
class ChartRule:
    chart: ChartLink  # where the record's patient is (schema/charts.py)
    team_writes: bool = True
    admin_writes: bool = False
    writers: tuple[str, ...] = ()  # user-pointer fields whose user may write
    readers: tuple[str, ...] = ()  # user-pointer fields whose user may read
    patient_reads: bool = False  # the PatientProfile's own user may read
    released_by: str | None = None  # ... once this field is set (published, shared)
    patient_writes: bool = False  # ... and write (what they may change: the class's own rules)

    @property
    def root(self) -> str:
        return self.chart.root

    @property
    def link(self) -> str | None:
        return self.chart.link

    @property
    def through(self) -> str | None:
        return self.chart.through


RULES: dict[str, ChartRule] = {
    "Patient": ChartRule(LINKS["Patient"], admin_writes=True),
    "Encounter": ChartRule(LINKS["Encounter"], admin_writes=True),
    "MedicalNote": ChartRule(LINKS["MedicalNote"]),
    "NoteVersion": ChartRule(LINKS["NoteVersion"], team_writes=False),
    "Signature": ChartRule(LINKS["Signature"], team_writes=False, writers=("signer",)),
    "Attachment": ChartRule(LINKS["Attachment"], team_writes=False, writers=("uploadedBy",)),
    "PatientProfile": ChartRule(LINKS["PatientProfile"], admin_writes=True, readers=("user",)),
    # the patient reads an assessment once published, a crisis log once shared (assessment_rules, crisis_rules)
    "IntakeAssessment": ChartRule(LINKS["IntakeAssessment"], released_by="publishedAt"),
    "CrisisInterventionLog": ChartRule(LINKS["CrisisInterventionLog"], released_by="shareWithPatient"),
    "Appointment": ChartRule(LINKS["Appointment"], admin_writes=True, writers=("provider",), patient_reads=True,
                             patient_writes=True),
}

# Writes that change who is on a team: class -> the user-pointer field that names a member.
TEAM_SOURCES = {"Patient": "primaryClinician", "Encounter": "admittingClinician",
                "Appointment": "provider", "IntakeAssessment": "assessor"}


def perms(readers: list[str], writers: list[str]) -> tuple[list[str], list[str]]:
    return sorted(set(readers)), sorted(set(writers))


async def chart_root_id(event: WriteEvent, rule: ChartRule) -> str:
    if rule.link is None:
        return event.object_id
    linked = await event.value(rule.link)
    if not linked:
        raise ParseError(Code.VALIDATION_ERROR, f"{rule.link} is required")
    if rule.through is None:
        return str(linked)
    root = await care_team.root_of(event.conn, rule.through, linked)
    if root is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: {rule.through} {linked}")
    return str(root)


async def chart_perms(event: WriteEvent, rule: ChartRule, root_id: str) -> tuple[list[str], list[str]]:
    team = team_principal(rule.root, root_id)
    readers, writers = [team, ADMIN], []
    if rule.team_writes:
        writers.append(team)
    if rule.admin_writes:
        writers.append(ADMIN)
    for name in rule.writers:
        user = await event.value(name)
        if user:
            readers.append(user)
            writers.append(user)
    for name in rule.readers:
        user = await event.value(name)
        if user:
            readers.append(user)
    if rule.patient_writes or await patient_may_read(event, rule):
        owner = await care_team.root_of(event.conn, "PatientProfile", root_id, "user")
        if owner:
            readers.append(owner)
            if rule.patient_writes:
                writers.append(owner)
    return perms(readers, writers)


async def patient_may_read(event: WriteEvent, rule: ChartRule) -> bool:
    """The patient reads this object: always (``patient_reads``) or once it is released to them."""
    return rule.patient_reads or bool(rule.released_by and await event.value(rule.released_by))


def set_perms(event: WriteEvent, perms: tuple[list[str], list[str]]) -> None:
    event.values["_rperm"], event.values["_wperm"] = perms


def keeps_master_acl(event: WriteEvent) -> bool:
    return event.ctx.is_master and "ACL" in event.body


def _refuse_acl_change(event: WriteEvent) -> None:
    if not event.is_new and "ACL" in event.body and not event.ctx.is_master:
        raise ParseError(Code.OPERATION_FORBIDDEN, f"The ACL of a {event.class_name} is set by the server.")


async def _refuse_relink(event: WriteEvent, fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in event.values and not event.is_new:
            current = await event.load_current()
            if current is not None and current.get(name) != event.values[name]:
                raise ParseError(Code.VALIDATION_ERROR, f"{name} cannot be changed once set")


async def chart_before_save(core: Core, event: WriteEvent) -> None:
    rule = RULES[event.class_name]
    _refuse_acl_change(event)
    if not event.is_new:
        await _refuse_relink(event, tuple(f for f in (rule.link,) if f))
        if keeps_master_acl(event) or not any(f in event.values for f in rule.writers + rule.readers):
            return
    root_id = await chart_root_id(event, rule)
    if event.is_new and rule.link is not None:
        require_team(event.ctx, rule.root, root_id)
    if event.is_new and rule.root == "PatientProfile" and rule.link is None:
        _own_profile_only(event)
    if not keeps_master_acl(event):
        set_perms(event, await chart_perms(event, rule, root_id))


def _own_profile_only(event: WriteEvent) -> None:
    """A patient may open their own profile; only staff open one for someone else."""
    ctx = event.ctx
    if ctx.is_master or ADMIN in ctx.principals() or "role:clinician" in ctx.principals():
        return
    if event.values.get("user") != ctx.user_id:
        raise ParseError(Code.OPERATION_FORBIDDEN, "Permission denied: a patient may only create their own profile.")


async def _refresh(core: Core, event: WriteEvent, root_class: str, root_id: str) -> None:
    changed = await care_team.refresh(core, event.conn, event.ctx, root_class, root_id)
    if changed:
        event.conn.on_commit(lambda: core.roles.invalidate(changed))
    ctx = event.ctx
    if ctx.user_id in changed:  # this request sees its own change (e.g. later steps of a batch)
        name = team_role(root_class, root_id)
        ctx.roles = tuple(sorted({*ctx.roles} ^ {name}))


async def _add_creator(core: Core, event: WriteEvent, root_class: str) -> None:
    """The clinician who opens a chart joins its team (an explicit, visible membership)."""
    ctx = event.ctx
    if ctx.is_master or ctx.user_id is None or "role:clinician" not in ctx.principals():
        return
    if core.registry.get(MEMBERS) is None:
        return
    team = team_principal(root_class, event.object_id)
    link = "patient" if root_class == "Patient" else "patientProfile"
    await commit.server_insert(core, event.conn, ctx, MEMBERS, {
        link: event.object_id, "user": ctx.user_id, "addedBy": ctx.user_id, "reason": "opened the chart",
        "_rperm": [team, ADMIN], "_wperm": [team, ADMIN],
    }, why="the clinician who opened the chart joins its care team")


async def team_after_save(core: Core, event: WriteEvent) -> None:
    """Recompute a team when a write touched one of its sources."""
    rule = RULES.get(event.class_name)
    source = TEAM_SOURCES.get(event.class_name)
    opens_chart = event.is_new and rule is not None and rule.link is None
    if rule is None or not (opens_chart or (source and source in event.values)):
        return
    root_id = await chart_root_id(event, rule)
    if event.is_new and rule.link is None:
        await _add_creator(core, event, rule.root)
    await _refresh(core, event, rule.root, root_id)


# ---- CareTeamMember -----------------------------------------------------------------------------


def _member_root(values: dict[str, Any]) -> tuple[str, str]:
    patient, profile = values.get("patient"), values.get("patientProfile")
    if bool(patient) == bool(profile):
        raise ParseError(Code.VALIDATION_ERROR, "A care-team member belongs to exactly one of patient or patientProfile")
    return ("Patient", str(patient)) if patient else ("PatientProfile", str(profile))


async def member_before_save(core: Core, event: WriteEvent) -> None:
    _refuse_acl_change(event)
    if not event.is_new:
        await _refuse_relink(event, ("patient", "patientProfile", "user"))
        return
    root_class, root_id = _member_root(event.values)
    require_team(event.ctx, root_class, root_id)
    if await care_team.root_of(event.conn, root_class, root_id, "objectId") is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: {root_class} {root_id}")
    if await care_team.root_of(event.conn, "_User", event.values["user"], "objectId") is None:
        raise ParseError(Code.OBJECT_NOT_FOUND, f"Object not found: _User {event.values['user']}")
    if event.ctx.user_id and not event.values.get("addedBy"):
        event.values["addedBy"] = event.ctx.user_id
    team = team_principal(root_class, root_id)
    if not keeps_master_acl(event):
        set_perms(event, perms([team, ADMIN], [team, ADMIN]))


async def member_after_write(core: Core, event: WriteEvent) -> None:
    link = {"patient": await event.value("patient"), "patientProfile": await event.value("patientProfile")}
    root_class, root_id = _member_root(link)
    await _refresh(core, event, root_class, root_id)


def register(hooks: Hooks[Core]) -> None:
    for class_name in RULES:
        hooks.add("before_save", class_name, chart_before_save)
        hooks.add("after_save", class_name, team_after_save)
    hooks.add("before_save", MEMBERS, member_before_save)
    hooks.add("after_save", MEMBERS, member_after_write)
    hooks.add("after_delete", MEMBERS, member_after_write)

