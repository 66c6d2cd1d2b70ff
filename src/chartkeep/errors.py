"""Domain errors carrying Parse error codes.

Every layer raises ``ParseError``; exactly one place (``api/rest/errors.py``) turns it into an
HTTP response, so the wire shape ``{"code": N, "error": "..."}`` is decided once.
"""

from __future__ import annotations


class Code:
    """Parse error codes (the subset Chartkeep raises), as the Parse SDKs define them."""

    OTHER_CAUSE = -1
    INTERNAL_SERVER_ERROR = 1
    CONNECTION_FAILED = 100
    OBJECT_NOT_FOUND = 101
    INVALID_QUERY = 102
    INVALID_CLASS_NAME = 103
    MISSING_OBJECT_ID = 104
    INVALID_KEY_NAME = 105
    INVALID_POINTER = 106
    INVALID_JSON = 107
    COMMAND_UNAVAILABLE = 108
    NOT_INITIALIZED = 109
    INCORRECT_TYPE = 111
    INVALID_CHANNEL_NAME = 112
    PUSH_MISCONFIGURED = 115
    OBJECT_TOO_LARGE = 116
    OPERATION_FORBIDDEN = 119
    CACHE_MISS = 120
    INVALID_NESTED_KEY = 121
    INVALID_FILE_NAME = 122
    INVALID_ACL = 123
    TIMEOUT = 124
    INVALID_EMAIL_ADDRESS = 125
    MISSING_CONTENT_TYPE = 126
    MISSING_CONTENT_LENGTH = 127
    INVALID_CONTENT_LENGTH = 128
    FILE_TOO_LARGE = 129
    FILE_SAVE_ERROR = 130
    DUPLICATE_VALUE = 137
    INVALID_ROLE_NAME = 139
    EXCEEDED_QUOTA = 140
    SCRIPT_FAILED = 141
    VALIDATION_ERROR = 142
    INVALID_IMAGE_DATA = 143
    UNSAVED_FILE_ERROR = 151
    INVALID_PUSH_TIME_ERROR = 152
    FILE_DELETE_ERROR = 153
    REQUEST_LIMIT_EXCEEDED = 155
    INVALID_EVENT_NAME = 160
    INVALID_VALUE = 162
    USERNAME_MISSING = 200
    PASSWORD_MISSING = 201
    USERNAME_TAKEN = 202
    EMAIL_TAKEN = 203
    EMAIL_MISSING = 204
    EMAIL_NOT_FOUND = 205
    SESSION_MISSING = 206
    MUST_CREATE_USER_THROUGH_SIGNUP = 207
    ACCOUNT_ALREADY_LINKED = 208
    INVALID_SESSION_TOKEN = 209
    MFA_ERROR = 210
    MFA_TOKEN_REQUIRED = 211
    LINKED_ID_MISSING = 250
    INVALID_LINKED_SESSION = 251
    UNSUPPORTED_SERVICE = 252


class ParseError(Exception):
    """An error the client sees as ``{"code": code, "error": message}``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"ParseError({self.code}, {self.message!r})"


class Unauthorized(Exception):
    """Missing/wrong application id or keys: Parse answers 403 ``{"error": "unauthorized"}``."""

    def __init__(self, message: str = "unauthorized") -> None:
        super().__init__(message)
        self.message = message


class TooManyRequests(ParseError):
    """A client went past a rate limit: HTTP 429 ``{"code": 100, "error": "Too many requests."}`` (as Parse)."""

    def __init__(self, retry_after: int, message: str = "Too many requests.") -> None:
        super().__init__(Code.CONNECTION_FAILED, message)
        self.retry_after = retry_after


class BodyTooSlow(ParseError):
    """A request body came slower than ``http_body_timeout`` / ``http_body_min_rate`` allow: HTTP 408, code 124,
    and the connection is closed (what is still on its way is never read)."""

    def __init__(self, timeout: float, min_rate: int) -> None:
        super().__init__(Code.TIMEOUT, f"The request body came too slowly: it may take {timeout:g} s plus 1 s per "
                         f"{min_rate} bytes (http_body_timeout, http_body_min_rate).")
