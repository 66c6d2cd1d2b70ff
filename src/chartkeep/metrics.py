"""This process's metrics, in Prometheus' text format (``GET /metrics``, docs/operations.md).

One registry per process (not prometheus-client's global one), every series labelled with the
process's ``worker`` (``serve --workers N``: 0…N-1; one process: 0), so a scrape of one worker's
answer never mixes with another's. Labels carry only fixed vocabularies — a route group, a status
class, a database role, a refusal kind — never a patient, a user, an object id or a class name a
client chose. Every layer may record here; this module imports nothing of Chartkeep's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def worker() -> str:
    """This process's worker number, read when a value is recorded: a spawned worker imports this
    module before the supervisor's ``run_worker`` has set it."""
    return os.environ.get("CHARTKEEP_WORKER_INDEX", "0")


class _Probes(Collector):
    """Gauges read at scrape time from the parts that hold the numbers (``probe``)."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, Callable[[], float]]] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, (text, read) in sorted(self.found.items()):
            family = GaugeMetricFamily(name, text, labels=["worker"])
            family.add_metric([worker()], float(read()))
            yield family


_PROBES = _Probes()
REGISTRY.register(_PROBES)


def probe(name: str, text: str, read: Callable[[], float]) -> None:
    """A gauge ``name`` whose value ``read()`` gives at each scrape (the last one registered wins)."""
    _PROBES.found[name] = (text, read)


_REQUESTS = Counter("chartkeep_http_requests", "HTTP requests answered, by route group and status class.",
                    ["worker", "group", "status"], registry=REGISTRY)
_LATENCY = Histogram("chartkeep_http_request_seconds", "Seconds from a request's arrival to its answer's end.",
                     ["worker", "group"], registry=REGISTRY,
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
_SUBSCRIPTIONS = Gauge("chartkeep_livequery_subscriptions", "LiveQuery subscriptions of this process.",
                       ["worker"], registry=REGISTRY)
_LEDGER = Histogram("chartkeep_ledger_append_seconds", "Seconds to chain and insert one batch of ledger entries.",
                    ["worker"], registry=REGISTRY,
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
_REFUSALS = Counter("chartkeep_refusals", "Requests refused by a cost limit, by kind: regex, graphql.",
                    ["worker", "kind"], registry=REGISTRY)
_LOGIN_FAILURES = Counter("chartkeep_login_failures", "Logins refused (wrong name or password, locked, throttled).",
                          ["worker"], registry=REGISTRY)

ROUTE_GROUPS = frozenset({
    "classes", "users", "login", "logout", "sessions", "roles", "files", "functions", "jobs", "hooks", "batch",
    "schemas", "config", "health", "graphql", "installations", "push", "aggregate", "audit", "purge",
    "requestPasswordReset", "verificationEmailRequest", "upgradeToRevocableSession", "serverInfo", "apps",
    "cloud_code", "verifyPassword", "fhir", "metrics",
})


def route_group(path: str, mount: str) -> str:
    """The first segment of ``path`` below the mount (``/parse/classes/Note/x`` → ``classes``), from a
    fixed list; anything else is ``other``, so no id or client-chosen name becomes a label."""
    if mount and path.startswith(mount + "/"):
        path = path[len(mount):]
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in ROUTE_GROUPS else "other"


def request_done(group: str, status: int, seconds: float) -> None:
    _REQUESTS.labels(worker(), group, f"{status // 100}xx").inc()
    _LATENCY.labels(worker(), group).observe(seconds)


def subscribed(change: int) -> None:
    _SUBSCRIPTIONS.labels(worker()).inc(change)


def ledger_appended(seconds: float) -> None:
    _LEDGER.labels(worker()).observe(seconds)


def refused(kind: str) -> None:
    _REFUSALS.labels(worker(), kind).inc()


def login_failed() -> None:
    _LOGIN_FAILURES.labels(worker()).inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)
