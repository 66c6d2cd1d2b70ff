"""Built-in Cloud functions, called as Parse's ``POST /functions/<name>``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chartkeep.context import RequestContext
from chartkeep.errors import Code, ParseError
from chartkeep.services.assessment_functions import (
    acknowledge_assessment,
    publish_assessment,
    revise_assessment,
)
from chartkeep.services.attachment_url import get_attachment_url
from chartkeep.services.break_glass import break_the_glass
from chartkeep.services.core import Core
from chartkeep.services.invitations import invite_patient
from chartkeep.services.message_threads import mark_thread_read, message_threads
from chartkeep.services.note_functions import (
    amend_note,
    decline_signature,
    request_signatures,
    save_note_draft,
    sign_note,
)
from chartkeep.services.patient_chart import patient_chart
from chartkeep.services.self_report_functions import assign_assessment, submit_assessment
from chartkeep.services.signature_check import verify_note_signatures

Function = Callable[[Core, RequestContext, dict[str, Any]], Awaitable[Any]]

BUILT_IN: dict[str, Function] = {
    "breakTheGlass": break_the_glass,
    "saveNoteDraft": save_note_draft,
    "requestSignatures": request_signatures,
    "signNote": sign_note,
    "declineSignature": decline_signature,
    "amendNote": amend_note,
    "patientChart": patient_chart,
    "verifyNoteSignatures": verify_note_signatures,
    "getAttachmentUrl": get_attachment_url,
    "messageThreads": message_threads,
    "markThreadRead": mark_thread_read,
    "invitePatient": invite_patient,
    "publishAssessment": publish_assessment,
    "acknowledgeAssessment": acknowledge_assessment,
    "reviseAssessment": revise_assessment,
    "assignAssessment": assign_assessment,
    "submitAssessment": submit_assessment,
}


async def call(core: Core, ctx: RequestContext, name: str, params: dict[str, Any]) -> dict[str, Any]:
    function = BUILT_IN.get(name)
    if function is None:
        raise ParseError(Code.SCRIPT_FAILED, f'Invalid function: "{name}"')
    return {"result": await function(core, ctx, params)}
