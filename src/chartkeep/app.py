"""The composition root: ``create_app(settings)`` builds everything; nothing is built at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from chartkeep.api.graphql.app import graphql_routes
from chartkeep.api.live.outlet import LiveTransport
from chartkeep.api.live.socket import live_routes
from chartkeep.api.rest.app import rest_routes
from chartkeep.live import LiveQuery
from chartkeep.schema.registry import Registry
from chartkeep.services import (
    appointment_rules,
    assessment_rules,
    chart_hooks,
    crisis_rules,
    file_refs,
    message_rules,
    note_rules,
    portal_access,
    provider_profiles,
    record_grants,
    record_labels,
    self_report_rules,
    sessions,
    signature_rules,
    user_roles,
)
from chartkeep.services.bootstrap import initialize, load_registry
from chartkeep.services.core import Core
from chartkeep.services.role_cache import RoleCache
from chartkeep.services.session_cache import SessionCache
from chartkeep.settings import Settings
from chartkeep.storage.database import open_database


def build_core(settings: Settings) -> Core:
    settings.ensure_master_key()
    settings.ensure_files_key()
    core = Core(
        db=open_database(settings.resolved_database_url()),
        registry=Registry(),
        settings=settings,
        roles=RoleCache(settings.role_cache_seconds),
        sessions=SessionCache(settings.session_cache_seconds),
    )
    user_roles.register(core.hooks)
    sessions.register(core.hooks)
    chart_hooks.register(core.hooks)
    message_rules.register(core.hooks)
    appointment_rules.register(core.hooks)
    note_rules.register(core.hooks)
    signature_rules.register(core.hooks)
    file_refs.register(core.hooks)
    self_report_rules.register(core.hooks)  # after chart_hooks, before assessment_rules (see the module)
    assessment_rules.register(core.hooks)
    crisis_rules.register(core.hooks)
    record_labels.register(core.hooks)  # after chart_hooks and note_rules: it refines their ACLs
    record_grants.register(core.hooks)
    portal_access.register(core.hooks)
    provider_profiles.register(core.hooks)
    core.live = LiveQuery(core)
    return core


def create_app(settings: Settings, core: Core | None = None, initialized: bool = False) -> Starlette:
    """The ASGI app. ``initialized``: the start-up work was done before (``serve --workers``), so
    only the class registry is loaded."""
    core = core or build_core(settings)
    if not isinstance(core.live, LiveQuery):
        core.live = LiveQuery(core)
    live = core.live

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await core.db.connect()
        try:
            await (load_registry(core) if initialized else initialize(core))
            await live.start()
            try:
                yield
            finally:
                await live.close()
        finally:
            await core.db.close()

    app = Starlette(
        routes=[*graphql_routes(core), *rest_routes(core), *live_routes(core, live)],
        middleware=[Middleware(LiveTransport)],  # LiveQuery frames go straight to the transport
        lifespan=lifespan,
    )
    app.state.core = core
    return app


def worker_app() -> Starlette:
    """One worker process of ``chartkeep serve --workers N`` (uvicorn's app factory, see serving.py)."""
    return create_app(Settings.from_worker_env(), initialized=True)
