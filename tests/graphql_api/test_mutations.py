"""Mutations go through the REST write services: same rules, same Parse codes, nothing written
after a refusal; accounts and Cloud functions as in Parse's GraphQL API."""

from __future__ import annotations

from tests.conftest import Api, row_count
from tests.graphql_api.conftest import Gql
from tests.policy.world import build_world

REASON = "Unconscious patient in the ED, no team reachable"
CREATE_NOTE = """
mutation($fields: CreateMedicalNoteFieldsInput) {
  createMedicalNote(input: {fields: $fields, clientMutationId: "m1"}) {
    clientMutationId
    medicalNote { objectId title status author { username } patient { mrn } }
  }
}
"""


def note_fields(w, author: str, title: str = "Seen in clinic") -> dict:  # type: ignore[no-untyped-def]
    return {"patient": {"link": w.ids["Patient"]}, "encounter": {"link": w.ids["Encounter"]},
            "author": {"link": w.users[author]["objectId"]}, "title": title, "noteType": "progress",
            "currentVersionNumber": 1, "status": "draft"}


async def test_create_update_delete_by_the_care_team(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    token = w.token("physician")
    data = await gql.data(CREATE_NOTE, {"fields": note_fields(w, "physician")}, session=token)
    out = data["createMedicalNote"]
    note = out["medicalNote"]
    assert out["clientMutationId"] == "m1"
    assert (note["title"], note["status"], note["author"], note["patient"]["mrn"]) == (
        "Seen in clinic", "draft", {"username": "physician1"}, "MRN-1")
    rest = (await api.get(f"/classes/MedicalNote/{note['objectId']}", session=token)).json()
    assert rest["title"] == "Seen in clinic" and rest["author"]["objectId"] == w.users["physician"]["objectId"]
    assert "role:careTeam_Patient_" + w.ids["Patient"] in rest["ACL"]  # the same chart hook set its ACL

    data = await gql.data("""mutation($id: ID!) { updateMedicalNote(input: {id: $id, fields: {title: "Revised"}}) {
                               medicalNote { objectId title updatedAt } } }""", {"id": note["objectId"]}, session=token)
    assert data["updateMedicalNote"]["medicalNote"]["title"] == "Revised"
    assert (await api.get(f"/classes/MedicalNote/{note['objectId']}", session=token)).json()["title"] == "Revised"

    # notes are never deleted (master key included): corrected by amendment
    before = await row_count(core, "MedicalNote")
    error = await gql.error("""mutation($id: ID!) { deleteMedicalNote(input: {id: $id}) { medicalNote { title } } }""",
                            {"id": note["objectId"]}, master=True)
    assert error["extensions"] == {"code": 119} and "never deleted" in error["message"]
    assert await row_count(core, "MedicalNote") == before
    # a class that may be deleted: the deleted object comes back as it was
    made = await api.post("/classes/CareTeamMember", {"patient": w.ref("Patient"), "user": w.user("outsider")},
                          master=True)
    assert made.status_code == 201, made.text
    data = await gql.data("""mutation($id: ID!) { deleteCareTeamMember(input: {id: $id}) {
                               careTeamMember { objectId } } }""", {"id": made.json()["objectId"]}, master=True)
    assert data["deleteCareTeamMember"]["careTeamMember"]["objectId"] == made.json()["objectId"]


async def test_mutations_follow_the_note_lifecycle(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    token = w.token("physician")
    me = w.users["physician"]["objectId"]
    # a note cannot be created as signed, nor jump to signed: 142 naming the rule, nothing written
    before = await row_count(core, "MedicalNote")
    error = await gql.error(CREATE_NOTE, {"fields": {**note_fields(w, "physician"), "status": "signed"}}, session=token)
    assert error["extensions"] == {"code": 142} and "created as a draft" in error["message"]
    assert await row_count(core, "MedicalNote") == before
    # the workflow through the named function mutations
    call = """mutation($p: Object) { %s(input: {params: $p}) { result } }"""
    draft = await gql.data(call % "saveNoteDraft", {"p": {
        "patient": w.ids["Patient"], "encounter": w.ids["Encounter"], "title": "Admission", "noteType": "admission",
        "subjective": "chest pain"}}, session=token)
    note = draft["saveNoteDraft"]["result"]["note"]["objectId"]
    error = await gql.error("""mutation($id: ID!) { updateMedicalNote(input: {id: $id, fields: {status: "signed"}}) {
                                 medicalNote { status } } }""", {"id": note}, session=token)
    assert error["extensions"] == {"code": 142} and "cannot go from draft to signed" in error["message"]
    # the template's own move, through a plain update: sent for review, then back to draft
    for status in ("under_review", "draft"):
        data = await gql.data("""mutation($id: ID!, $s: String) { updateMedicalNote(input: {id: $id,
                                   fields: {status: $s}}) { medicalNote { status } } }""", {"id": note, "s": status},
                              session=token)
        assert data["updateMedicalNote"]["medicalNote"]["status"] == status
    await gql.data(call % "requestSignatures", {"p": {"note": note, "signers": [{"signer": me, "role": "author"}]}},
                   session=token)
    await gql.data(call % "signNote", {"p": {"note": note}}, session=token)
    got = await gql.data("""query($id: ID!) { medicalNote(id: $id) { status currentVersionNumber } }""",
                         {"id": note}, session=token)
    assert got["medicalNote"] == {"status": "signed", "currentVersionNumber": 1}
    # signed: no edit in place
    error = await gql.error("""mutation($id: ID!) { updateMedicalNote(input: {id: $id, fields: {title: "x"}}) {
                                 medicalNote { status } } }""", {"id": note}, session=token)
    assert error["extensions"] == {"code": 142} and "never edited in place" in error["message"]


async def test_refused_writes_change_nothing_and_carry_the_rest_code(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    outsider = w.token("outsider")
    before = await row_count(core, "MedicalNote")
    # outside the care team: the create is refused by the chart hook, as over REST
    rest = await api.post("/classes/MedicalNote", {**w.body("MedicalNote", "outsider")}, session=outsider)
    error = await gql.error(CREATE_NOTE, {"fields": note_fields(w, "outsider")}, session=outsider)
    assert (error["extensions"]["code"], error["message"]) == (rest.json()["code"], rest.json()["error"])
    assert error["extensions"]["code"] == 119 and error["path"] == ["createMedicalNote"]
    assert await row_count(core, "MedicalNote") == before

    # an update of a note the caller cannot see: 101, and the title is unchanged
    nid = w.ids["MedicalNote"]
    rest = await api.put(f"/classes/MedicalNote/{nid}", {"title": "Hijacked"}, session=outsider)
    error = await gql.error("""mutation($id: ID!) { updateMedicalNote(input: {id: $id, fields: {title: "Hijacked"}}) {
                                 medicalNote { objectId } } }""", {"id": nid}, session=outsider)
    assert error["extensions"] == {"code": rest.json()["code"]} == {"code": 101}
    got = (await api.get(f"/classes/MedicalNote/{nid}", session=w.token("physician"))).json()
    assert got["title"] != "Hijacked"

    # a required field left out: the write pipeline's 142 (inputs stay optional so that the
    # service, not GraphQL, decides), nothing written
    fields = {k: v for k, v in note_fields(w, "physician").items() if k != "title"}
    rest = await api.post("/classes/MedicalNote", {k: v for k, v in w.body("MedicalNote", "physician").items()
                                                   if k != "title"}, session=w.token("physician"))
    missing = await gql.error(CREATE_NOTE, {"fields": fields}, session=w.token("physician"))
    assert (missing["extensions"]["code"], missing["message"]) == (rest.json()["code"], rest.json()["error"])
    assert missing["extensions"]["code"] == 142
    assert await row_count(core, "MedicalNote") == before

    # deleting as a patient is refused by the class-level permissions
    rest = await api.delete(f"/classes/MedicalNote/{nid}", session=w.token("patient"))
    error = await gql.error("""mutation($id: ID!) { deleteMedicalNote(input: {id: $id}) { medicalNote { objectId } } }""",
                            {"id": nid}, session=w.token("patient"))
    assert error["extensions"] == {"code": rest.json()["code"]}
    assert await row_count(core, "MedicalNote") == before


async def test_break_the_glass_as_a_mutation(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    w = await build_world(api)
    outsider, pid = w.token("outsider"), w.ids["Patient"]
    read = "query($id: ID!) { patient(id: $id) { mrn } }"
    assert (await gql.error(read, {"id": pid}, session=outsider))["extensions"] == {"code": 101}
    # no reason: the function's own error, as REST returns it, and no grant
    rest = await api.post("/functions/breakTheGlass", {"patient": pid}, session=outsider)
    error = await gql.error("""mutation($p: Object) { callCloudCode(input: {functionName: breakTheGlass, params: $p}) {
                                 result } }""", {"p": {"patient": pid}}, session=outsider)
    assert (error["extensions"]["code"], error["message"]) == (rest.json()["code"], rest.json()["error"])
    assert await row_count(core, "BreakGlassAccess") == 0

    data = await gql.data("""mutation($p: Object) { callCloudCode(input: {functionName: breakTheGlass, params: $p}) {
                               result } }""", {"p": {"patient": pid, "reason": REASON}}, session=outsider)
    assert data["callCloudCode"]["result"]["objectId"] == pid
    assert (await gql.data(read, {"id": pid}, session=outsider))["patient"] == {"mrn": "MRN-1"}
    # the named form calls the same function
    data = await gql.data("""mutation($p: Object) { breakTheGlass(input: {params: $p}) { result } }""",
                          {"p": {"patientProfile": w.ids["PatientProfile"], "reason": REASON}}, session=outsider)
    assert data["breakTheGlass"]["result"]["className"] == "PatientProfile"
    assert await row_count(core, "BreakGlassAccess") == 2
    # read-only: still no writes into the chart
    error = await gql.error("""mutation($id: ID!) { updatePatient(input: {id: $id, fields: {status: "x"}}) {
                                 patient { objectId } } }""", {"id": pid}, session=outsider)
    assert error["extensions"] == {"code": 101}


async def test_sign_up_log_in_viewer_log_out(api: Api, gql: Gql) -> None:
    signed = await gql.data("""mutation { signUp(input: {fields: {username: "ada", password: "Long-enough-pw-1",
                                 role: "patient"}}) { viewer { sessionToken user { username role } } } }""")
    viewer = signed["signUp"]["viewer"]
    assert viewer["sessionToken"].startswith("r:") and viewer["user"] == {"username": "ada", "role": "patient"}
    assert (await api.get("/users/me", session=viewer["sessionToken"])).json()["username"] == "ada"

    # self sign-up cannot take a clinical role (the users service's rule)
    error = await gql.error("""mutation { signUp(input: {fields: {username: "eve", password: "Long-enough-pw-1",
                                role: "admin"}}) { viewer { sessionToken } } }""")
    rest = await api.post("/users", {"username": "eve", "password": "Long-enough-pw-1", "role": "admin"})
    assert error["extensions"] == {"code": rest.json()["code"]}

    bad = await gql.error("""mutation { logIn(input: {username: "ada", password: "wrong"}) { viewer { sessionToken } } }""")
    assert bad["extensions"] == {"code": 101} and bad["message"] == "Invalid username/password."
    logged = await gql.data("""mutation { logIn(input: {username: "ada", password: "Long-enough-pw-1"}) {
                                 viewer { sessionToken user { objectId username } } } }""")
    token = logged["logIn"]["viewer"]["sessionToken"]
    me = await gql.data("{ viewer { sessionToken user { username } } }", session=token)
    assert me == {"viewer": {"sessionToken": token, "user": {"username": "ada"}}}
    assert (await gql.error("{ viewer { sessionToken } }"))["extensions"] == {"code": 209}

    out = await gql.data("""mutation { logOut(input: {clientMutationId: "bye"}) { ok clientMutationId } }""",
                         session=token)
    assert out == {"logOut": {"ok": True, "clientMutationId": "bye"}}
    r = await gql.post("{ viewer { sessionToken } }", session=token)
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"] == {"code": 209}
    assert (await api.get("/users/me", session=token)).json()["code"] == 209


async def test_sign_ups_share_the_rest_rate_limit_rules(api: Api, gql: Gql, core) -> None:  # type: ignore[no-untyped-def]
    core.settings.signup_rate_limit = 2
    fields = 'password: "Long-enough-pw-1", role: "patient"'
    await gql.data(f'mutation {{ signUp(input: {{fields: {{username: "u0", {fields}}}}}) {{ viewer {{ sessionToken }} }} }}')
    await gql.data(f'mutation {{ createUser(input: {{fields: {{username: "u1", {fields}}}}}) {{ user {{ objectId }} }} }}')
    third = f'mutation {{ createUser(input: {{fields: {{username: "u2", {fields}}}}}) {{ user {{ username }} }} }}'
    error = await gql.error(third)
    assert (error["message"], error["extensions"]) == ("Too many requests.", {"code": 100})
    assert await row_count(core, "_User") == 2
    # the master key is exempt, as over REST
    assert await gql.data(third, master=True) == {"createUser": {"user": {"username": "u2"}}}
