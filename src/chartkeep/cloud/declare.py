"""What a cloud file declares: the decorators of ``from chartkeep import cloud``.

The decorators only record; nothing runs at import. While the server loads a cloud file
(cloud/load.py) they record into that load's ``Declarations``; imported anywhere else (a unit
test of the clinic's own code, say) they return the function unchanged and record nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from chartkeep.errors import ParseError

Error = ParseError  # ``raise cloud.Error(142, "…")``: the client gets 400 {"code": 142, "error": "…"}

UserFn = Callable[[Any], Any]
TriggerKind = Literal["before_save", "after_save", "before_delete", "after_delete", "before_find", "after_find",
                      "before_login", "after_login", "after_logout", "before_save_file", "after_save_file",
                      "before_connect", "before_subscribe", "after_live_query_event"]
# Parse's type names for validator ``type``: a Python type or the Parse name itself
TYPE_NAMES: dict[Any, str] = {str: "String", int: "Number", float: "Number", bool: "Boolean", dict: "Object",
                              list: "Array"}
PARSE_TYPES = frozenset(TYPE_NAMES.values())


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One entry of a function's ``fields`` validator (Parse's ``fields`` option)."""

    name: str
    type: str | None = None  # a Parse type name: String, Number, Boolean, Object, Array
    required: bool = False
    default: Any = None
    options: tuple[Any, ...] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    fn: UserFn
    fields: tuple[FieldRule, ...] = ()
    require_user: bool = False
    require_master: bool = False
    require_any_user_roles: tuple[str, ...] = ()
    validate_master_key: bool = False


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    kind: TriggerKind
    class_name: str
    fn: UserFn


@dataclass(slots=True)
class Declarations:
    source: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    triggers: list[TriggerSpec] = field(default_factory=list)
    jobs: dict[str, UserFn] = field(default_factory=dict)


_loading: list[Declarations] = []


@contextmanager
def collecting(source: str) -> Iterator[Declarations]:
    """Record what the code run inside declares."""
    found = Declarations(source)
    _loading.append(found)
    try:
        yield found
    finally:
        _loading.remove(found)


def _current() -> Declarations | None:
    return _loading[-1] if _loading else None


def _name(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"cloud.{kind} needs a name (a non-empty string), got {value!r}")
    return value


def _rules(fields: Iterable[str] | dict[str, Any] | None) -> tuple[FieldRule, ...]:
    if fields is None:
        return ()
    if not isinstance(fields, dict):  # a list of names: each required, as Parse
        return tuple(FieldRule(_name("define fields", n), required=True) for n in fields)
    out = []
    for name, rule in fields.items():
        if not isinstance(rule, dict):
            rule = {"type": rule}
        unknown = set(rule) - {"type", "required", "default", "options", "error"}
        if unknown:
            raise TypeError(f"cloud.define fields[{name!r}]: unknown option(s) {', '.join(sorted(unknown))}")
        kind = rule.get("type")
        type_name = TYPE_NAMES.get(kind) if not isinstance(kind, str) else kind
        if kind is not None and type_name not in PARSE_TYPES:
            raise TypeError(f"cloud.define fields[{name!r}]: type must be one of str, int, float, bool, dict, list")
        options = rule.get("options")
        out.append(FieldRule(name, type_name, bool(rule.get("required", False)), rule.get("default"),
                             tuple(options) if options is not None else None, rule.get("error")))
    return tuple(out)


def define(
    name: str,
    *,
    fields: Iterable[str] | dict[str, Any] | None = None,
    require_user: bool = False,
    require_master: bool = False,
    require_any_user_roles: Iterable[str] = (),
    validate_master_key: bool = False,
) -> Callable[[UserFn], UserFn]:
    """A Cloud function: ``POST /functions/<name>``, ``Parse.Cloud.run(name)``, GraphQL ``callCloudCode``."""
    spec_name = _name("define", name)
    rules = _rules(fields)
    roles = tuple(require_any_user_roles)

    def register(fn: UserFn) -> UserFn:
        found = _current()
        if found is not None:
            if spec_name in found.functions:
                raise ValueError(f"Cloud function {spec_name} is defined twice")
            found.functions[spec_name] = FunctionSpec(spec_name, fn, rules, require_user or bool(roles),
                                                      require_master, roles, validate_master_key)
        return fn

    return register


def _trigger(kind: TriggerKind, class_name: str) -> Callable[[UserFn], UserFn]:
    target = _name(kind, class_name)

    def register(fn: UserFn) -> UserFn:
        found = _current()
        if found is not None:
            found.triggers.append(TriggerSpec(kind, target, fn))
        return fn

    return register


def before_save(class_name: str) -> Callable[[UserFn], UserFn]:
    """Inside the write's transaction, after the built-in rules: ``req.object`` may be changed."""
    return _trigger("before_save", class_name)


def after_save(class_name: str) -> Callable[[UserFn], UserFn]:
    """After the write committed; a failure is logged and never undoes the write."""
    return _trigger("after_save", class_name)


def before_delete(class_name: str) -> Callable[[UserFn], UserFn]:
    """Inside the delete's transaction, after the built-in rules; raising refuses the delete."""
    return _trigger("before_delete", class_name)


def after_delete(class_name: str) -> Callable[[UserFn], UserFn]:
    """After the delete committed; a failure is logged."""
    return _trigger("after_delete", class_name)


def before_find(class_name: str) -> Callable[[UserFn], UserFn]:
    """Before a query of the class runs: ``req.query`` (where, limit, order…) may be changed; the
    caller's read guard is added after it, so a query can be narrowed, never widened."""
    return _trigger("before_find", class_name)


def after_find(class_name: str) -> Callable[[UserFn], UserFn]:
    """After a query or get: ``req.objects`` may be filtered or reshaped, never added to."""
    return _trigger("after_find", class_name)


def before_connect(fn: UserFn) -> UserFn:
    """A LiveQuery client's connect, after its keys and session are checked: raising refuses it."""
    return _account("before_connect", "LiveQuery")(fn)


def before_subscribe(class_name: str) -> Callable[[UserFn], UserFn]:
    """A LiveQuery subscription to the class: ``req.query`` (where, keys) may be changed, or it is
    refused by raising; each event is still checked against the subscriber's read access."""
    return _trigger("before_subscribe", class_name)


def after_live_query_event(class_name: str) -> Callable[[UserFn], UserFn]:
    """Each LiveQuery event of the class, once per subscriber, before it is sent: ``req.object`` may
    be reshaped (never beyond what the subscriber may read) or the delivery dropped with
    ``req.send_event = False``; a failure is logged and that delivery is not sent."""
    return _trigger("after_live_query_event", class_name)


def _account(kind: TriggerKind, target: str = "_User") -> Callable[[UserFn], UserFn]:
    def register(fn: UserFn) -> UserFn:
        found = _current()
        if found is not None:
            found.triggers.append(TriggerSpec(kind, target, fn))
        return fn

    return register


def before_save_file(fn: UserFn) -> UserFn:
    """Before an uploaded file is stored, after the file checks: ``req.file`` (name, content_type,
    data) may be changed — the checks run again on it — or the upload refused by raising."""
    return _account("before_save_file", "File")(fn)


def after_save_file(fn: UserFn) -> UserFn:
    """After a file is stored; a failure is logged."""
    return _account("after_save_file", "File")(fn)


def before_login(fn: UserFn) -> UserFn:
    """Before a login succeeds (password and MFA checked): raising refuses it."""
    return _account("before_login")(fn)


def after_login(fn: UserFn) -> UserFn:
    """After a login; a failure is logged."""
    return _account("after_login")(fn)


def after_logout(fn: UserFn) -> UserFn:
    """After a logout; a failure is logged."""
    return _account("after_logout")(fn)


def job(name: str) -> Callable[[UserFn], UserFn]:
    """A background job: ``POST /jobs/<name>`` with the master key, tracked in ``_JobStatus``."""
    job_name = _name("job", name)

    def register(fn: UserFn) -> UserFn:
        found = _current()
        if found is not None:
            if job_name in found.jobs:
                raise ValueError(f"Cloud job {job_name} is defined twice")
            found.jobs[job_name] = fn
        return fn

    return register
