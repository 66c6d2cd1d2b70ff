"""The composition root: ``create_app(settings)`` builds everything; nothing is built at import."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from chartkeep import metrics
from chartkeep.accounts import role_applications, role_decisions, run_time_roles, sessions, user_roles
from chartkeep.api.fhir.app import fhir_routes
from chartkeep.api.fhir.smart import smart_routes
from chartkeep.api.graphql.app import graphql_routes
from chartkeep.api.live.outlet import LiveTransport
from chartkeep.api.live.socket import live_routes
from chartkeep.api.monitoring import RequestMetrics, metrics_routes
from chartkeep.api.rest import body as request_bodies
from chartkeep.api.rest.app import rest_routes
from chartkeep.api.rest.origins import SecurityHeaders
from chartkeep.audit.schedule import run_periodically
from chartkeep.behavioral import (
    assessment_functions,
    assessment_rules,
    crisis_rules,
    self_report_functions,
    self_report_rules,
)
from chartkeep.care import break_glass, chart_acl, directory, grants, invitations, labels, portal
from chartkeep.clinical import note_functions, note_rules, patient_chart, signature_check, signature_rules
from chartkeep.cloud import reload as cloud_reload
from chartkeep.cloud import webhooks
from chartkeep.cloud.install import load_configured
from chartkeep.core.config_cache import ConfigCache
from chartkeep.core.handles import Core
from chartkeep.core.role_cache import RoleCache
from chartkeep.core.session_cache import SessionCache
from chartkeep.devices import installations
from chartkeep.fhir import export_run
from chartkeep.files import attachment_url, refs
from chartkeep.live import LiveQuery
from chartkeep.messaging import appointment_rules, threads
from chartkeep.messaging import rules as message_rules
from chartkeep.schema.registry import Registry
from chartkeep.schema_admin import config
from chartkeep.schema_admin.bootstrap import initialize, load_registry
from chartkeep.settings import WORKER_INDEX, Settings
from chartkeep.storage.opening import open_database

# What the domains add to the hook registry, in the order their hooks run (docs/architecture.md,
# "The hook registry"): the care-team ACL before the rules that read it; self-report before the
# assessment rules; record labels after every rule that sets an ACL, since they narrow it.
BUILT_IN = (
    user_roles, role_applications, role_decisions, run_time_roles, sessions,  # accounts
    chart_acl,  # care: every chart object under its care team
    message_rules, appointment_rules,  # messaging
    note_rules, signature_rules,  # clinical
    refs,  # files: who may put a file into a field
    self_report_rules, assessment_rules, crisis_rules,  # behavioral
    labels, grants, portal, directory, break_glass, invitations,  # care: labels narrow the ACLs above
    installations, config,  # devices: an installation's user; Parse Config's cached copy
    note_functions, patient_chart, signature_check,  # Cloud functions
    assessment_functions, self_report_functions, threads, attachment_url,
)


def build_core(settings: Settings) -> Core:
    settings.ensure_master_key()
    settings.ensure_files_key()
    core = Core(
        db=open_database(settings.resolved_database_url()),
        registry=Registry(),
        settings=settings,
        roles=RoleCache(settings.role_cache_seconds),
        sessions=SessionCache(settings.session_cache_seconds),
        config=ConfigCache(settings.config_cache_seconds),
    )
    for module in BUILT_IN:
        module.register(core.hooks)
    load_configured(core)  # the clinic's Cloud Code, after every built-in rule (docs/cloud-code.md)
    webhooks.register(core.hooks)  # /hooks: functions and triggers served over HTTP, last
    core.live = LiveQuery(core)
    return core


def watch_pool(core: Core) -> None:
    """The database pool gauges of /metrics read this process's pool (docs/operations.md)."""
    usage = getattr(core.db, "pool_usage", None)
    if usage is not None:
        metrics.probe("chartkeep_db_connections_in_use", "Database connections lent out now (SQLite: readers).",
                      lambda: usage()[0])
        metrics.probe("chartkeep_db_connections", "Database connections of the pool (SQLite: readers).",
                      lambda: usage()[1])


def create_app(settings: Settings, core: Core | None = None, initialized: bool = False,
               checkpoints: bool = True) -> Starlette:
    """The ASGI app. ``initialized``: the start-up work was done before (``serve --workers``), so
    only the class registry is loaded. ``checkpoints``: this process takes the ledger's periodic
    signed checkpoints (with ``--workers``, worker 0 only)."""
    core = core or build_core(settings)
    request_bodies.configure(settings)
    watch_pool(core)
    if not isinstance(core.live, LiveQuery):
        core.live = LiveQuery(core)
    live = core.live

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await core.db.connect()
        try:
            await (load_registry(core) if initialized else initialize(core))
            await live.start()
            reloading = asyncio.create_task(cloud_reload.watch(core)) if settings.cloud_reload else None
            periodic = None
            if checkpoints and settings.ledger_checkpoint_seconds > 0:
                periodic = asyncio.create_task(run_periodically(core.db, settings), name="ledger checkpoints")
            exports = asyncio.create_task(export_run.watch(core), name="FHIR exports to take over")
            try:
                yield
            finally:
                if reloading is not None:
                    reloading.cancel()
                exports.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await exports
                if periodic is not None:
                    periodic.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await periodic
                await core.background.close(settings.push_shutdown_grace_seconds)  # pushes; exports hand themselves back
                await live.close()
        finally:
            await core.db.close()

    app = Starlette(
        routes=[*metrics_routes(core), *graphql_routes(core), *smart_routes(core), *fhir_routes(core),
                *rest_routes(core), *live_routes(core, live)],  # /metrics first: a mount_path of / must not take it
        # security headers and origins outermost; LiveQuery frames go straight to the transport
        middleware=[Middleware(RequestMetrics, mount=settings.mount_path), Middleware(SecurityHeaders, settings=settings),
                    Middleware(LiveTransport)],
        lifespan=lifespan,
    )
    app.state.core = core
    return app


def worker_app() -> Starlette:
    """One worker process of ``chartkeep serve --workers N`` (uvicorn's app factory, see serving.py)."""
    return create_app(Settings.from_worker_env(), initialized=True,
                      checkpoints=os.environ.get(WORKER_INDEX, "0") == "0")
