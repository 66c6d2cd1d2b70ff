"""LiveQuery (docs/livequery.md): which classes publish, Redis between processes, per-connection
limits, resume, what the ledger records of deliveries."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chartkeep.settings.values import CommaList


class LiveQuerySettings(BaseModel):
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
