"""The password policy, checked wherever a password is set: sign-up, password change, reset.

Rules, in order, each named in the error (142, Parse's code and message, with the rule after a
colon; Parse Server says only ``Password does not meet the Password Policy requirements.``):

1. at least ``password_min_length`` characters;
2. not the username, in any case (``password_disallow_username``; Parse compares case-sensitively:
   ``Password cannot contain your username.``);
3. not a breached or common password: the 30,000 most common passwords of public breach corpora,
   as bundled (offline) by the ``zxcvbn`` package, compared case-insensitively;
4. not too easy to guess: zxcvbn's estimate (repeats such as ``aaaaaaaa``, sequences such as
   ``abcdefgh``, keyboard patterns, dictionary words and names, dates, the username) must reach
   ``password_min_score`` (0–4; default 1, "not guessable in under 1,000 guesses"). zxcvbn looks
   at the first 72 characters, as bcrypt and most password stores do.
"""

from __future__ import annotations

from functools import cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from chartkeep.errors import Code, ParseError
from chartkeep.settings import Settings

POLICY_ERROR = "Password does not meet the Password Policy requirements"
CONTAINS_USERNAME = "Password cannot contain your username."
BREACHED = "it is one of the most common passwords found in data breaches"
GUESSABLE = "it is too easy to guess (a repeat, a sequence, a keyboard pattern or a common word)"
SCORED_CHARS = 72


@cache
def _common() -> frozenset[str]:
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _refuse(rule: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, f"{POLICY_ERROR}: {rule}.")


def check_password(settings: Settings, password: str, username: str | None) -> None:
    if len(password) < settings.password_min_length:
        raise _refuse(f"at least {settings.password_min_length} characters")
    if settings.password_disallow_username and username and username.lower() in password.lower():
        raise ParseError(Code.VALIDATION_ERROR, CONTAINS_USERNAME)
    if settings.password_refuse_common and password.lower() in _common():
        raise _refuse(BREACHED)
    if settings.password_min_score > 0:
        inputs = [username] if username else []
        if zxcvbn(password[:SCORED_CHARS], user_inputs=inputs)["score"] < settings.password_min_score:
            raise _refuse(GUESSABLE)
