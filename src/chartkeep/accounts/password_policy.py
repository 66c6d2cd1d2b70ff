"""The password policy, checked wherever a password is set: sign-up, password change, reset.

Parse Server's messages and code (RestWrite._validatePasswordRequirements): 142
``Password does not meet the Password Policy requirements.`` for a password the policy refuses,
142 ``Password cannot contain your username.`` when ``doNotAllowUsername`` is on. Parse compares
the username case-sensitively; Chartkeep refuses it in any case (``Alice`` in ``xalice-2024``).
"""

from __future__ import annotations

from chartkeep.errors import Code, ParseError
from chartkeep.settings import Settings

POLICY_ERROR = "Password does not meet the Password Policy requirements."
CONTAINS_USERNAME = "Password cannot contain your username."


def check_password(settings: Settings, password: str, username: str | None) -> None:
    if len(password) < settings.password_min_length:
        raise ParseError(Code.VALIDATION_ERROR, POLICY_ERROR)
    if settings.password_disallow_username and username and username.lower() in password.lower():
        raise ParseError(Code.VALIDATION_ERROR, CONTAINS_USERNAME)
