"""Availability limits (docs/limits.md): no single request or account may exhaust the server."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LimitsSettings(BaseModel):
    max_limit: int | None = Field(None, description="Upper bound for a query's limit (none by default).")
    max_body_bytes: int = Field(20 * 1024 * 1024, description="Largest request body accepted.")
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
