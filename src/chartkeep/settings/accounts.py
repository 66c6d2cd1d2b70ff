"""Accounts: sign-up roles, password policy, lockout, rate limits, email (docs/accounts.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chartkeep.settings.values import CommaList


class AccountSettings(BaseModel):
    signup_roles: CommaList = Field(
        default_factory=lambda: ["patient"],
        description="Roles a client may give itself at sign-up (comma-separated). Every other role is "
        "assigned by an admin session or the master key. Demo deployments wanting open sign-up can list "
        "e.g. patient,provider,physician.",
    )
    signup_applicant_roles: CommaList = Field(
        default_factory=lambda: ["provider"],
        description="Roles a client may apply for at sign-up (comma-separated): the account is created "
        "with the role applicant, holds no clinical role and reads no record until an admin approves it "
        "with the Cloud function decideRoleApplication.",
    )
    password_min_length: int = Field(
        8, description="Shortest password accepted at sign-up, password change and password reset."
    )
    password_disallow_username: bool = Field(
        True, description="Refuse a password that contains the username (case-insensitive)."
    )
    password_refuse_common: bool = Field(
        True, description="Refuse the 30,000 most common passwords of public breach corpora (the list the zxcvbn "
        "package bundles; checked offline, case-insensitively)."
    )
    password_min_score: int = Field(
        1, ge=0, le=4, description="Lowest zxcvbn strength estimate (0-4) a new password must reach: 1 refuses "
        "repeats, sequences, keyboard patterns and single common words (aaaaaaaa, abcdefgh); 0 turns the estimate off."
    )
    account_lockout_threshold: int = Field(
        5, description="Failed logins for one username/email from one client IP before it is locked for that IP "
        "(0 turns lockout off); see login_ip_failure_limit."
    )
    account_lockout_duration: int = Field(
        15, description="Minutes a locked username/email stays locked (for the client IP that failed), and the period "
        "of login_ip_failure_limit."
    )
    login_ip_failure_limit: int = Field(
        20, ge=0, description="Failed logins one client IP may make (any names) within account_lockout_duration "
        "minutes before it may not log in until that period ends (429). 0: no per-IP limit."
    )
    account_lockout_unlock_on_password_reset: bool = Field(
        False, description="A successful password reset also lifts a lockout (Parse's unlockOnPasswordReset)."
    )
    login_rate_limit: int = Field(
        60, description="Login requests (GET/POST /login) one client IP may make per window (0: no limit)."
    )
    login_rate_window: int = Field(60, description="Window of login_rate_limit, in seconds.")
    signup_rate_limit: int = Field(
        20, description="Sign-ups (POST /users without the master key) one client IP may make per window "
        "(0: no limit)."
    )
    signup_rate_window: int = Field(60, description="Window of signup_rate_limit, in seconds.")
    app_name: str = Field("Chartkeep", description="Name of the service in account emails.")
    mail_sender: str = Field(
        "outbox",
        description="Where account emails go: outbox (a table, listed by `chartkeep outbox`), log, or "
        "module:factory naming a sender of your own.",
    )
    verify_user_emails: bool = Field(
        False, description="Send a verification link when a user signs up or changes email."
    )
    prevent_login_with_unverified_email: bool = Field(
        False, description="With verify_user_emails, refuse login (and the sign-up session) until the email "
        "is verified."
    )
    email_verify_token_validity: int = Field(
        86400, description="Seconds an email verification link stays valid."
    )
    password_reset_token_validity: int = Field(3600, description="Seconds a password reset link stays valid.")
    portal_invite_token_validity: int = Field(
        604800, description="Seconds a patient portal invitation link (invitePatient) stays valid: 7 days."
    )
    reset_password_success_on_invalid_email: bool = Field(
        True, description="POST /requestPasswordReset answers {} for an unknown email instead of an error."
    )
