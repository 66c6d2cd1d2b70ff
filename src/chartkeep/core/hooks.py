"""The hook registry: how the built-in rules (and user Cloud Code after them) join the server.

Every domain registers here, at start-up, what it adds to the generic pipeline:

* ``before_save`` hooks run inside the write's transaction, after validation and before the row
  is stored: they may change the values to store (an ACL, say) or refuse with a ``ParseError``,
  which rolls everything back;
* ``after_save`` and ``after_delete`` hooks run in the same transaction once the row is written
  (or deleted), so what they write commits or fails with it; ``before_delete`` hooks run in the
  delete's transaction before the row is removed, and may refuse it;
* ``functions``: the Cloud functions ``POST /functions/<name>`` calls; ``jobs``: the Cloud Code jobs
  ``POST /jobs/<name>`` starts;
* ``role_sources``: what a user's roles gain or lose beyond ``_Role`` membership (break-the-glass,
  record grants, a suspended portal), asked by ``auth`` when it expands a user's roles;
* ``before_find`` / ``after_find`` / ``account`` / ``files`` / ``live_*``: user Cloud Code's query,
  result, login/logout, file-upload and LiveQuery connect/subscribe/event hooks (there are no built-in ones: the read guard is part of every query's SQL, below them);
* ``owned``: the fields of a class only the server sets (a note's status, a score, a signature's
  hash); user Cloud Code may not change them in its ``before_save`` (cloud/triggers.py).

Built-in hooks run first, in registration order; hooks registered with ``builtin=False`` (user
code) run after every built-in one of the same kind, so user code can never run before the
clinical rules nor skip them. The registry is generic in the handle type (``Core``) so that this
module does not import the handle that holds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar, cast

from chartkeep.access.acl import write_principals
from chartkeep.context import RequestContext
from chartkeep.core.role_cache import RoleSet
from chartkeep.errors import Code, ParseError
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn

C = TypeVar("C")  # the server's handle (chartkeep.core.handles.Core)
T = TypeVar("T")
Kind = Literal["before_save", "after_save", "before_delete", "after_delete"]
KINDS: tuple[Kind, ...] = ("before_save", "after_save", "before_delete", "after_delete")
EVERY_FIELD = "*"  # ``own(class_name, "*")``: the server sets every field of the class


@dataclass(slots=True)
class WriteEvent:
    """One write as hooks see it. ``current`` is the stored row before the write — the one copy
    every step shares (loaded on demand, locked on PostgreSQL)."""

    ctx: RequestContext
    conn: Conn
    schema: ClassSchema
    object_id: str
    is_new: bool
    body: dict[str, Any]  # what the client sent
    values: dict[str, Any]  # decoded values about to be stored (hooks may change them)
    current: dict[str, Any] | None = None  # the stored row before this write (updates, deletes)
    ledger_event: str | None = None  # the ledger's name for this write when a rule knows better (amend…)
    before_rules: dict[str, Any] | None = None  # ``values`` before any before_save hook ran (write_echo.snapshot)
    # user Cloud Code that changed the object: trigger ("before_save Patient") → the fields it changed;
    # the write's own ledger entry names them (``metadata.cloudTriggers``)
    changed_by: dict[str, list[str]] = field(default_factory=dict)
    _carried: dict[type, object] = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return self.schema.name

    def carry(self, item: object) -> None:
        """Hand a typed value from a before-save hook to the after-save hook of the same rule."""
        self._carried[type(item)] = item

    def carried(self, kind: type[T]) -> T | None:
        return cast("T | None", self._carried.get(kind))

    async def load_current(self) -> dict[str, Any] | None:
        if self.current is None and not self.is_new:
            self.current = await rows.fetch_for_write(self.conn, self.schema, self.object_id, None)
        return self.current

    async def load_writable(self) -> dict[str, Any]:
        """The stored row an update targets, locked and kept as ``current``, if the caller may write
        it; 101 otherwise, as the ACL would answer."""
        principals = None if self.ctx.is_master else write_principals(self.ctx)
        current = await rows.fetch_for_write(self.conn, self.schema, self.object_id, principals)
        if current is None:
            raise ParseError(Code.OBJECT_NOT_FOUND, "Object not found.")
        self.current = current
        return current

    async def value(self, name: str) -> Any:
        """The field's value after this write: the new one if written, else the stored one."""
        if name in self.values:
            return self.values[name]
        current = await self.load_current()
        return None if current is None else current.get(name)


@dataclass(slots=True)
class FileEvent:
    """A ``POST /files`` upload as Cloud Code's file hooks see it: ``before_save_file`` may change the
    name, type or bytes (the file checks run again on what it leaves); ``stored`` is set after."""

    ctx: RequestContext
    name: str
    content_type: str
    data: bytes
    stored: str | None = None  # the stored file's name, once saved


@dataclass(slots=True)
class LiveDelivery:
    """One LiveQuery event for one subscriber, as Cloud Code's ``after_live_query_event`` sees it:
    ``object``/``original`` are what the read guard decided to send (Parse JSON); a hook may change
    them or clear ``send`` (the hub then filters what it left, live/reshape.py)."""

    ctx: RequestContext  # the subscriber, as its session reads at event time
    class_name: str
    event: str  # create, enter, update, leave, delete
    object: dict[str, Any]
    original: dict[str, Any] | None
    send: bool = True


Hook = Callable[[C, WriteEvent], Awaitable[None]]
Function = Callable[[C, RequestContext, dict[str, Any]], Awaitable[Any]]
# user Cloud Code only: a query's parameters before it runs, its results after; a login or logout
QueryHook = Callable[[C, RequestContext, str, dict[str, Any]], Awaitable[dict[str, Any]]]
ResultHook = Callable[[C, RequestContext, str, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]
AccountHook = Callable[[C, RequestContext, dict[str, Any]], Awaitable[None]]
AccountKind = Literal["before_login", "after_login", "after_logout"]
FileHook = Callable[[C, FileEvent], Awaitable[None]]
FunctionSource = Callable[[C, str], Awaitable["Function[C] | None"]]  # a function not defined in code (a webhook)
LiveHook = Callable[[C, RequestContext, dict[str, Any]], Awaitable[dict[str, Any]]]  # LiveQuery connect/subscribe
LiveEventHook = Callable[[C, LiveDelivery], Awaitable[None]]  # LiveQuery: one event for one subscriber
FileKind = Literal["before_save_file", "after_save_file"]
RoleSource = Callable[[C, Conn, str, RoleSet], Awaitable[None]]


@dataclass(slots=True)
class _Table(Generic[C]):
    builtin: dict[str, list[Hook[C]]] = field(default_factory=dict)
    user: dict[str, list[Hook[C]]] = field(default_factory=dict)

    def add(self, class_name: str, hook: Hook[C], builtin: bool) -> None:
        (self.builtin if builtin else self.user).setdefault(class_name, []).append(hook)

    def for_class(self, class_name: str) -> list[Hook[C]]:
        """The class's own hooks, then those registered for every class (``"*"``); built-ins first."""
        b, u = self.builtin, self.user
        return [*b.get(class_name, ()), *b.get("*", ()), *u.get(class_name, ()), *u.get("*", ())]


@dataclass(slots=True)
class Hooks(Generic[C]):
    tables: dict[Kind, _Table[C]] = field(default_factory=lambda: {kind: _Table() for kind in KINDS})
    functions: dict[str, Function[C]] = field(default_factory=dict)
    user_functions: set[str] = field(default_factory=set)  # those of user Cloud Code
    function_sources: list[FunctionSource[C]] = field(default_factory=list)
    role_sources: list[RoleSource[C]] = field(default_factory=list)
    owned: dict[str, set[str]] = field(default_factory=dict)
    jobs: dict[str, Function[C]] = field(default_factory=dict)  # Cloud Code jobs (cloud/jobs.py)
    before_find: dict[str, list[QueryHook[C]]] = field(default_factory=dict)
    after_find: dict[str, list[ResultHook[C]]] = field(default_factory=dict)
    account: dict[AccountKind, list[AccountHook[C]]] = field(default_factory=dict)
    files: dict[FileKind, list[FileHook[C]]] = field(default_factory=dict)
    live_connect: list[LiveHook[C]] = field(default_factory=list)
    live_subscribe: dict[str, list[LiveHook[C]]] = field(default_factory=dict)
    live_event: dict[str, list[LiveEventHook[C]]] = field(default_factory=dict)  # by class; absent: no cost

    def add(self, kind: Kind, class_name: str, hook: Hook[C], *, builtin: bool = True) -> None:
        self.tables[kind].add(class_name, hook, builtin)

    def define(self, name: str, function: Function[C], *, builtin: bool = True) -> None:
        if name in self.functions:
            raise ValueError(f"Cloud function {name} is defined twice")
        self.functions[name] = function
        if not builtin:
            self.user_functions.add(name)

    def add_job(self, name: str, job: Function[C]) -> None:
        if name in self.jobs:
            raise ValueError(f"Cloud job {name} is defined twice")
        self.jobs[name] = job

    async def find_function(self, core: C, name: str) -> Function[C] | None:
        """The function of that name: one defined in code, else one a source knows (a webhook)."""
        found = self.functions.get(name)
        for source in self.function_sources:
            if found is not None:
                break
            found = await source(core, name)
        return found

    def clear_user(self) -> None:
        """Forget every hook, function and job of user Cloud Code (``cloud_reload``); the built-in
        rules stay."""
        for table in self.tables.values():
            table.user.clear()
        for name in self.user_functions:
            self.functions.pop(name, None)
        self.user_functions.clear()
        for user_only in (self.jobs, self.before_find, self.after_find, self.account, self.files,
                          self.live_subscribe, self.live_event):
            user_only.clear()
        self.live_connect.clear()

    def add_query_hook(self, class_name: str, hook: QueryHook[C]) -> None:
        self.before_find.setdefault(class_name, []).append(hook)

    def add_result_hook(self, class_name: str, hook: ResultHook[C]) -> None:
        self.after_find.setdefault(class_name, []).append(hook)

    def add_account_hook(self, kind: AccountKind, hook: AccountHook[C]) -> None:
        self.account.setdefault(kind, []).append(hook)

    def add_file_hook(self, kind: FileKind, hook: FileHook[C]) -> None:
        self.files.setdefault(kind, []).append(hook)

    async def run_file(self, kind: FileKind, core: C, event: FileEvent) -> None:
        for hook in self.files.get(kind, ()):
            await hook(core, event)

    async def run_before_connect(self, core: C, ctx: RequestContext, info: dict[str, Any]) -> None:
        for hook in self.live_connect:
            await hook(core, ctx, info)

    async def run_before_subscribe(self, core: C, ctx: RequestContext, class_name: str,
                                   query: dict[str, Any]) -> dict[str, Any]:
        """A subscription's query as the hooks leave it (its class cannot change)."""
        for hook in self.live_subscribe.get(class_name, ()):
            query = {**await hook(core, ctx, query), "className": class_name}
        return query

    async def run_live_event(self, core: C, delivery: LiveDelivery) -> None:
        """The class's ``after_live_query_event`` hooks, in order, until one drops the delivery."""
        for hook in self.live_event.get(delivery.class_name, ()):
            await hook(core, delivery)
            if not delivery.send:
                return

    async def run_before_find(self, core: C, ctx: RequestContext, class_name: str,
                              params: dict[str, Any]) -> dict[str, Any]:
        """A query's parameters as the ``before_find`` hooks leave them (the read guard is added after)."""
        for hook in self.before_find.get(class_name, ()):
            params = await hook(core, ctx, class_name, params)
        return params

    async def run_after_find(self, core: C, ctx: RequestContext, class_name: str,
                             found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for hook in self.after_find.get(class_name, ()):
            found = await hook(core, ctx, class_name, found)
        return found

    async def run_account(self, kind: AccountKind, core: C, ctx: RequestContext, user: dict[str, Any]) -> None:
        for hook in self.account.get(kind, ()):
            await hook(core, ctx, user)

    def own(self, class_name: str, *fields: str) -> None:
        """Declare fields of ``class_name`` that only the server's rules set (``"*"``: all of them)."""
        self.owned.setdefault(class_name, set()).update(fields)

    def owned_fields(self, class_name: str) -> frozenset[str]:
        return frozenset(self.owned.get(class_name, ()))

    def add_role_source(self, source: RoleSource[C]) -> None:
        self.role_sources.append(source)

    def has(self, kind: Kind, class_name: str) -> bool:
        return bool(self.tables[kind].for_class(class_name))

    async def run(self, kind: Kind, core: C, event: WriteEvent) -> None:
        for hook in self.tables[kind].for_class(event.class_name):
            await hook(core, event)
