"""Every setting, declared once. Read from ``CHARTKEEP_*`` environment variables and CLI flags.

The CLI builds its ``--flags`` from these fields and ``docs/configuration.md`` lists them; a test
fails when a field is missing from the docs.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]

DEFAULT_FILE_TYPES = (
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/heic",
    "text/plain", "text/csv", "application/json", "application/dicom",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "audio/mpeg", "audio/wav", "video/mp4", "application/octet-stream",
)


WORKER_SETTINGS = "CHARTKEEP_WORKER_SETTINGS"  # `serve --workers`: resolved settings for the workers
WORKER_INDEX = "CHARTKEEP_WORKER_INDEX"  # `serve --workers`: which worker a process is (0, 1, …)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTKEEP_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(1337, description="TCP port of the HTTP server.")
    workers: int = Field(
        1, ge=1, description="Server processes sharing the port (docs/configuration.md, Several worker "
        "processes). More than 1 needs redis_url: LiveQuery events and cache invalidations travel through it."
    )
    app_id: str = Field("chartkeep", description="Parse application id clients must send.")
    master_key: str | None = Field(
        None,
        description="Parse master key. When unset, one is generated at first start and kept in "
        "DATA_DIR/master.key.",
    )
    rest_api_key: str | None = Field(
        None, description="Optional REST API key; when set, non-master requests must send it."
    )
    database_url: str | None = Field(
        None,
        description="sqlite:///relative.db, sqlite:////abs/path.db or postgresql://user@host:port/db. "
        "Default: SQLite at DATA_DIR/chartkeep.db.",
    )
    data_dir: Path = Field(Path("data"), description="Directory for the SQLite file and generated keys.")
    mount_path: str = Field("/parse", description="Where the Parse REST API is mounted.")
    public_url: str | None = Field(
        None, description="Public base URL of the API (used in Location headers and file URLs)."
    )
    templates: CommaList = Field(
        default_factory=lambda: ["ehr", "behavioral_health"],
        description="Seed templates loaded at init (comma-separated in env/flags).",
    )
    audit_reads: bool = Field(
        True,
        description="Record every read of patient data in the audit ledger (ONC 170.315(d)(2)). Turning it "
        "off is for measuring the ledger's cost only: writes, logins and refusals are recorded regardless.",
    )
    allowed_origins: CommaList = Field(
        default_factory=lambda: ["*"],
        description="Browser origins (scheme://host:port, comma-separated) allowed to call the API through CORS "
        "and to open LiveQuery WebSockets; * allows any (Parse's default). The server's own origin is always "
        "allowed; the master key is never accepted from another origin (docs/security.md).",
    )
    master_key_origins: CommaList = Field(
        default_factory=list,
        description="Browser origins (scheme://host:port, comma-separated; no *) from which the master key is "
        "accepted, e.g. the Parse Dashboard page an admin opens (docs/dashboard.md). Empty (the default): the "
        "master key is never accepted from a page of another origin. master_key_ips still applies.",
    )
    hsts_seconds: int = Field(
        0, ge=0, description="When above 0, every answer carries Strict-Transport-Security with this max-age: set it "
        "when clients reach the server over HTTPS (directly or through a TLS-terminating proxy), e.g. 31536000.",
    )
    ledger_chains: int = Field(
        16, ge=1, le=1024,
        description="Number of hash chains the audit ledger is split into, so writes to different charts do "
        "not wait on one chain head. Used once, when the ledger is created; the number is then kept in the "
        "database and a later change of this setting is ignored (with a warning at start), so no chart moves.",
    )
    ledger_signing_key: Path | None = Field(
        None,
        description="Ed25519 key file that signs ledger checkpoints (PEM; created on first use with mode "
        "0600). Keep it where the database's users cannot read it. Default: ~/.config/chartkeep/"
        "ledger-signing.key (outside the data directory); its public key is written next to it as .pub.",
    )
    ledger_checkpoint_seconds: float = Field(
        3600.0, ge=0,
        description="Interval of signed ledger checkpoints taken by the server (one process only, also with "
        "--workers); 0 turns the periodic checkpoint off (`chartkeep audit checkpoint` still takes one).",
    )
    ledger_checkpoint_file: Path | None = Field(
        None, description="File sink: each checkpoint is appended to this file as one JSON line."
    )
    ledger_checkpoint_webhook: str | None = Field(
        None, description="Webhook sink: each checkpoint is POSTed to this URL as JSON."
    )
    metrics_token: str | None = Field(
        None, description="A token a Prometheus scraper sends as 'Authorization: Bearer <token>' to read GET /metrics "
        "(the master key from master_key_ips is accepted too)."
    )
    master_key_ips: CommaList = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Client IPs (or CIDR ranges) allowed to use the master key.",
    )
    session_cache_seconds: float = Field(
        5.0,
        description="How long a session token's user is reused before the session is read again (0: never "
        "cached). Revocations through this process take effect at once; this bounds staleness across processes.",
    )
    role_cache_seconds: float = Field(
        5.0,
        description="How long a user's expanded roles are reused before being read again (0: never cached). "
        "Changes made through this process take effect at once; this bounds staleness across processes.",
    )
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
    break_glass_minutes: int = Field(
        60, description="How long break-the-glass read access to a chart lasts, in minutes."
    )
    message_retention_days: int = Field(
        0, description="Messages older than this many days are deleted (with their attachments) by "
        "`chartkeep messages purge`; 0 keeps them forever (docs/messaging.md)."
    )
    session_length: int = Field(
        31536000, description="Session lifetime in seconds (Parse default: 1 year); staff sessions are also held to "
        "staff_session_length."
    )
    staff_session_length: int = Field(
        43200, gt=0, lt=31536000, description="Absolute lifetime of a staff session (any role but patient), in "
        "seconds, however active it is: 12 hours by default, always under a year (docs/accounts.md, Sessions)."
    )
    session_idle_timeout: int = Field(
        900, ge=0, description="A staff session unused for this many seconds ends (209 Session token is expired.), "
        "on REST, GraphQL and LiveQuery alike: 15 minutes, as clinical systems use. 0: no idle timeout."
    )
    patient_session_idle_timeout: int = Field(
        1800, ge=0, description="The idle timeout of a patient's session, in seconds (0: none)."
    )
    max_limit: int | None = Field(None, description="Upper bound for a query's limit (none by default).")
    max_body_bytes: int = Field(20 * 1024 * 1024, description="Largest request body accepted.")
    log_level: str = Field("info", description="Log level of the server.")
    production: bool = Field(
        False, description="Production mode: development aids are off (the GraphQL explorer page at GET "
        "graphql_path). Turn graphql_introspection off too if the schema should not be listable."
    )

    # ---- GraphQL (docs/graphql.md) ----
    graphql_path: str = Field("/graphql", description="Where the GraphQL API is served.")
    graphql_introspection: bool = Field(
        True, description="Answer GraphQL introspection queries (__schema, __type); the explorer needs them."
    )
    graphql_explorer_dir: str | None = Field(
        None, description="Folder holding the npm packages the GraphiQL explorer is served from (graphiql, react, "
        "react-dom; `npm ci --prefix explorer` installs them). Default: explorer/node_modules of the checkout."
    )
    graphql_max_depth: int = Field(
        12, description="Deepest field nesting a GraphQL operation may have (introspection fields not counted)."
    )
    graphql_max_document_bytes: int = Field(
        128 * 1024, ge=1, description="Largest GraphQL document (the query text, in bytes) a signed-in caller may "
        "send; checked before parsing (102 naming the limit)."
    )
    graphql_max_fields: int = Field(
        2000, ge=1, description="Most fields a signed-in caller's GraphQL document may write out (fragments counted "
        "where written), checked before validation (102 naming the limit)."
    )
    graphql_max_aliases: int = Field(
        200, ge=0, description="Most aliases a signed-in caller's GraphQL document may hold, checked before "
        "validation (102 naming the limit)."
    )
    graphql_anonymous_max_document_bytes: int = Field(
        16 * 1024, ge=1, description="graphql_max_document_bytes for a caller without a session (the tightest)."
    )
    graphql_anonymous_max_depth: int = Field(
        10, ge=1, description="graphql_max_depth for a caller without a session (the introspection query needs 10)."
    )
    graphql_anonymous_max_fields: int = Field(
        300, ge=1, description="graphql_max_fields for a caller without a session."
    )
    graphql_anonymous_max_aliases: int = Field(
        20, ge=0, description="graphql_max_aliases for a caller without a session."
    )
    graphql_role_limits: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Roles given more generous GraphQL document limits than signed-in users, as "
        'JSON: {"admin": {"bytes": 262144, "depth": 16, "aliases": 500, "fields": 5000}} (any of the four keys; '
        "a caller gets the largest value among its roles; the role name master stands for the master key)."
    )
    graphql_max_complexity: int = Field(
        5000, description="Highest cost a GraphQL operation may have: one per field, fields under a "
        "connection's edges counted once per row of the page (first/last, else 100)."
    )

    # ---- accounts: password policy, lockout, rate limits, email (docs/accounts.md) ----
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

    # ---- files and attachments (docs/files.md) ----
    files_key: str | None = Field(
        None,
        description="Master secret the per-file AES-256-GCM keys are derived from (HKDF-SHA256). When unset, "
        "one is generated at first start and kept in DATA_DIR/files.key. Every process must share it.",
    )
    files_key_id: str = Field(
        "k1", description="Id stored with each file encrypted under files_key; give a new secret a new id."
    )
    files_old_keys: CommaList = Field(
        default_factory=list,
        description="Retired file secrets still needed to read older files, as id:secret (comma-separated); "
        "`chartkeep files rekey` re-encrypts those files under files_key.",
    )
    files_max_bytes: int = Field(
        20 * 1024 * 1024, description="Largest file accepted by POST /files, in bytes (HTTP 413 above it)."
    )
    files_allowed_types: CommaList = Field(
        default_factory=lambda: list(DEFAULT_FILE_TYPES),
        description="Content types a file may be uploaded as (comma-separated; type/* allowed). HTML, SVG, "
        "scripts and executables are refused whatever this says.",
    )
    files_url_seconds: int = Field(
        300, description="Lifetime of a signed file download URL, in seconds."
    )

    # ---- LiveQuery (docs/livequery.md) ----
    live_query_classes: CommaList = Field(
        default_factory=lambda: ["*"],
        description="Classes whose writes are published to LiveQuery subscribers (comma-separated; * for "
        "every class; empty turns LiveQuery events off). _Session is never published.",
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db. When set, LiveQuery events travel through Redis pub/sub, so a "
        "client connected to one server process receives changes made through another.",
    )
    live_query_max_subscriptions: int = Field(
        100, description="Subscriptions one LiveQuery connection may hold at once (error 1 past it)."
    )
    live_query_heartbeat_seconds: float = Field(
        20.0,
        description="Interval of WebSocket pings to LiveQuery clients; a client that does not answer within "
        "the same time is disconnected (0 turns pings off).",
    )
    live_query_session_check_seconds: float = Field(
        30.0, gt=0, description="How often a LiveQuery socket's sessions are checked; a socket whose session has "
        "ended (expired, idle, logged out) is sent error 209 'Invalid session token' and closed, and the ledger "
        "names it (live_session_closed)."
    )
    live_query_connect_timeout: float = Field(
        10.0, description="Seconds a new LiveQuery connection has to send its connect message."
    )
    live_query_max_frame_bytes: int = Field(
        64 * 1024, description="Largest LiveQuery message a client may send, in bytes."
    )
    live_query_send_buffer_bytes: int = Field(
        4 * 1024 * 1024,
        description="Bytes of messages not yet taken by one LiveQuery client's network connection before it "
        "counts as too slow and is closed with 1013 (it may reconnect and resume).",
    )
    live_query_send_buffer_total_bytes: int = Field(
        256 * 1024 * 1024, ge=0, description="Bytes all lagging LiveQuery clients of one process may hold unsent "
        "together; the client whose message would pass it is closed with 1013 like a slow one (0: no limit)."
    )
    live_query_fanout_chunk: int = Field(
        500,
        ge=1,
        description="Deliveries the LiveQuery fan-out makes before letting other work on the same process "
        "(REST requests) run. Lower keeps REST's rate during a large fan-out; higher delivers events sooner.",
    )
    live_query_compression: bool = Field(
        False,
        description="Accept WebSocket permessage-deflate from LiveQuery clients. Off by default, as in Parse "
        "Server: compressing every event once per connection costs more server CPU than fan-out itself.",
    )
    live_query_resume_events: int = Field(
        10000,
        description="How many recent LiveQuery events each process keeps so a reconnecting client can "
        "resume from its last event id (0: no resume).",
    )
    live_query_resume_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="Bytes the LiveQuery resume window may hold (each kept event counted "
        "by its rows' size); the oldest events leave first, and an event larger than the whole budget empties "
        "the window (0: no byte bound)."
    )
    live_query_resume_seconds: float = Field(
        300.0, description="How old a kept LiveQuery event may be and still be replayed on resume."
    )
    live_query_disclosure_seconds: float = Field(
        60.0, ge=0, description="LiveQuery events carrying chart data are recorded in the audit ledger as one "
        "`read` entry per subscription and patient per this many seconds (naming every object delivered); a "
        "subscription's entries are also written when it ends. 0: only when it ends (docs/audit.md)."
    )

    # ---- availability limits (docs/limits.md): no single request or account may exhaust the server ----
    max_string_bytes: int = Field(
        256 * 1024, ge=0, description="Largest string (UTF-8 bytes) a field value may hold, at any depth of an "
        "Array or Object too; a write over it is refused with 142 naming this limit (0: no limit)."
    )
    max_response_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="Largest answer a find, get, /batch or GraphQL request may build, in "
        "bytes as written out (an included object counted once per reference); past it 116 naming this limit "
        "(0: no limit)."
    )
    max_skip: int = Field(
        10_000_000, ge=0, description="Largest skip a query may ask for; above it (or above what a 64-bit "
        "integer holds, for limit) the query is refused with 102."
    )
    http_header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a request's complete headers, from connecting or "
        "from the first byte of a request on a kept-alive connection; then the connection is closed."
    )
    http_body_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has, once a request's headers are in, to start and send its body, "
        "plus one second per http_body_min_rate bytes received; past it 408, code 124, and the connection is closed."
    )
    http_body_min_rate: int = Field(
        1024, ge=1, description="Bytes per second a request body must average once http_body_timeout has passed."
    )
    http_keep_alive_timeout: float = Field(
        5.0, gt=0, description="Seconds an idle kept-alive HTTP connection stays open between requests."
    )
    http_max_connections: int = Field(
        4096, ge=1, description="Open HTTP and WebSocket connections one server process accepts; past it a new "
        "connection is closed at once. The file-descriptor limit is raised to fit it at start (docs/limits.md)."
    )
    http_max_connections_per_ip: int = Field(
        256, ge=1, description="Open connections one client IP may hold on one server process; past it a new "
        "connection is closed at once."
    )
    audit_event_max_bytes: int = Field(
        16 * 1024, ge=1, description="Largest client-appended AuditEvent/AuditLog (its fields as JSON, in bytes); "
        "a larger one is refused with 142 naming this limit."
    )
    audit_event_rate_limit: int = Field(
        30, ge=0, description="Client-appended AuditEvent/AuditLog rows one user may add per audit_event_rate_window "
        "(HTTP 429, code 100, naming the limit; 0: no limit; the master key is not limited)."
    )
    audit_event_rate_window: int = Field(60, ge=1, description="Window of audit_event_rate_limit, in seconds.")
    audit_event_daily_limit: int = Field(
        1000, ge=0, description="Client-appended AuditEvent/AuditLog rows one user may add per 24 hours (HTTP 429, "
        "code 100, naming the limit; 0: no limit)."
    )

    # ---- mobile SDKs and admin tools: Parse Config, push (docs/devices.md) ----
    config_cache_seconds: float = Field(
        5.0, description="How long Parse Config (GET /config) is reused before being read again (0: never "
        "cached). Changes take effect at once in this process and, with redis_url, in every other one; this "
        "bounds staleness only while Redis is unreachable."
    )
    config_max_bytes: int = Field(
        128 * 1024, description="Largest Parse Config (every parameter together, as JSON) PUT /config may store."
    )
    push_adapter: str | None = Field(
        None, description="module:factory of a push adapter of your own (factory(settings) returns it). Unset: "
        "the webhook adapter when push_webhook_url is set, else POST /push answers 115 Missing push configuration."
    )
    push_webhook_url: str | None = Field(
        None, description="Where the webhook push adapter POSTs each push: its payload and the matched "
        "installations' device tokens, in batches of push_batch_size."
    )
    push_webhook_secret: str | None = Field(
        None, description="When set, each webhook POST carries X-Chartkeep-Signature: sha256=<HMAC-SHA256 of the "
        "body with this secret>, so the receiver can tell it came from this server."
    )
    push_webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long one webhook POST may take (connect to last byte) before it counts as failed."
    )
    push_webhook_retries: int = Field(
        2, ge=0, description="How many times a failed webhook POST (timeout, connection error, HTTP 5xx or 429) "
        "is retried, with a growing pause, before its devices count as failed."
    )
    push_batch_size: int = Field(
        500, ge=1, description="Devices handed to the push adapter at once (one webhook POST each)."
    )
    push_shutdown_grace_seconds: float = Field(
        10.0, ge=0, description="When the server stops, how long pushes still being delivered may finish before "
        "they are cancelled (their _PushStatus is then left running)."
    )

    # ---- FHIR Bulk Data export (docs/fhir.md) ----
    fhir_export_lease_seconds: float = Field(
        30.0, gt=0, description="How long a server process's claim on a running $export job lasts; it is renewed "
        "every third of that. When a process dies its claim lapses after this long, and another process resumes "
        "the job (a process that stops normally hands its jobs back at once)."
    )
    fhir_export_sweep_seconds: float = Field(
        10.0, ge=0, description="How often each server process looks for $export jobs no process runs (handed "
        "back, or their claim lapsed) and resumes them; it also looks at start-up. 0: at start-up only."
    )
    fhir_export_max_attempts: int = Field(
        3, ge=1, description="How many runs of one $export job may end with their process dying (the claim "
        "lapsing) before the job is marked failed instead of resumed again."
    )

    # ---- Cloud Code (docs/cloud-code.md) ----
    cloud: str | None = Field(
        None, description="The clinic's Cloud Code: a Python file (cloud/main.py) or an importable module name, "
        "loaded by every server process at start-up; a file that does not load stops start-up, naming the file "
        "and line."
    )
    cloud_reload: bool = Field(
        False, description="Development: load the cloud file again when it (or a .py file next to it) changes, "
        "checked every second; a version that fails to load is logged and the previous one keeps running."
    )
    webhook_key: str | None = Field(
        None, description="Sent as X-Parse-Webhook-Key with every Cloud Code webhook call (functions and triggers "
        "registered through /hooks), so the receiver can tell it came from this server (Parse's webhookKey)."
    )
    cloud_timeout: float = Field(
        10.0, ge=0, description="Seconds one Cloud function or trigger may run before it is cancelled and answered "
        "141 Script timed out (0: no limit). Jobs have no limit."
    )

    @field_validator("templates", "allowed_origins", "master_key_origins", "master_key_ips", "signup_roles",
                     "signup_applicant_roles", "files_old_keys", "files_allowed_types",
                     "live_query_classes", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("graphql_role_limits", mode="before")
    @classmethod
    def _role_limits_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            import orjson

            value = orjson.loads(value) if value.strip() else {}
        if isinstance(value, dict):
            for role, limits in value.items():
                if not isinstance(limits, dict) or not set(limits) <= {"bytes", "depth", "aliases", "fields"}:
                    raise ValueError(f"graphql_role_limits[{role!r}] takes bytes, depth, aliases and fields")
        return value

    @field_validator("files_old_keys")
    @classmethod
    def _id_secret_pairs(cls, value: list[str]) -> list[str]:
        for entry in value:
            key_id, sep, secret = entry.partition(":")
            if not sep or not key_id.strip() or not secret.strip():
                raise ValueError(f"files_old_keys entries are id:secret, got {entry.split(':')[0]!r}...")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chartkeep.db').as_posix()}"

    def resolved_signing_key(self) -> Path:
        if self.ledger_signing_key is not None:
            return self.ledger_signing_key.expanduser()
        return Path("~/.config/chartkeep/ledger-signing.key").expanduser()

    def ensure_master_key(self) -> tuple[str, bool]:
        """The configured master key, or the one kept in the data dir (created if absent)."""
        if self.master_key:
            return self.master_key, False
        path = self.data_dir / "master.key"
        if path.exists():
            self.master_key = path.read_text().strip()
            return self.master_key, False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n")
        path.chmod(0o600)
        self.master_key = key
        return key, True

    def ensure_files_key(self) -> tuple[str, bool]:
        """The configured file secret, or the one kept in the data dir (created if absent)."""
        if self.files_key:
            return self.files_key, False
        path = self.data_dir / "files.key"
        if path.exists():
            self.files_key = path.read_text().strip()
            return self.files_key, False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key + "\n")
        path.chmod(0o600)
        self.files_key = key
        return key, True

    @classmethod
    def from_worker_env(cls) -> Settings:
        """The settings ``serve --workers`` resolved (generated keys included) for its processes."""
        import orjson

        raw = os.environ.get(WORKER_SETTINGS)
        if not raw:
            raise RuntimeError(f"{WORKER_SETTINGS} is not set: workers are started by `chartkeep serve --workers N`")
        return cls(**orjson.loads(raw))
