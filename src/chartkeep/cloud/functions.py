"""``@cloud.define`` functions on the hook registry, behind their validators.

The validator is Parse's (``fields`` with ``type`` / ``required`` / ``default`` / ``options``,
``require_user``, ``require_master``, ``require_any_user_roles``), with Parse's messages, code 142.
As in Parse, a master-key call skips the validator unless ``validate_master_key=True``.
"""

from __future__ import annotations

from typing import Any

import orjson

from chartkeep.cloud.declare import FieldRule, FunctionSpec
from chartkeep.cloud.requests import FunctionRequest
from chartkeep.cloud.run import invoke
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.core.hooks import Function
from chartkeep.errors import Code, ParseError

FAILED = "Validation failed."


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


def _type_ok(rule: FieldRule, value: Any) -> bool:
    kind = rule.type
    if kind == "String":
        return isinstance(value, str)
    if kind == "Number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Object":
        return isinstance(value, dict)
    if kind == "Array":
        return isinstance(value, list)
    return True


def validate(spec: FunctionSpec, ctx: RequestContext, params: dict[str, Any]) -> None:
    """Refuse the call as Parse's validator would; fills ``default`` values into ``params``."""
    if ctx.is_master and not spec.validate_master_key:
        return
    if spec.require_user and ctx.user is None:
        raise _refuse(f"{FAILED} Please login to continue.")
    if spec.require_master and not ctx.is_master:
        raise _refuse(f"{FAILED} Master key is required to complete this request.")
    for rule in spec.fields:
        value = params.get(rule.name)
        if value is None and rule.default is not None:
            params[rule.name] = value = rule.default
        if value is None:
            if rule.required:
                raise _refuse(rule.error or f"{FAILED} Please specify data for {rule.name}.")
            continue
        if not _type_ok(rule, value):
            raise _refuse(rule.error or f"{FAILED} Invalid type for {rule.name}. Expected: {(rule.type or '').lower()}")
        if rule.options is not None and value not in rule.options:
            expected = ", ".join(str(o) for o in rule.options)
            raise _refuse(rule.error or f"{FAILED} Invalid option for {rule.name}. Expected: {expected}")
    if spec.require_any_user_roles and not set(spec.require_any_user_roles) & set(ctx.roles):
        raise _refuse(f"{FAILED} User does not match the required roles.")


def as_result(name: str, value: Any) -> Any:
    """The function's return value, checked to be JSON (a 141 naming the function otherwise)."""
    try:
        orjson.dumps(value)
    except TypeError:
        raise ParseError(Code.SCRIPT_FAILED, f"Cloud function {name} returned a value that is not JSON") from None
    return value


def function_hook(spec: FunctionSpec, timeout: float | None) -> Function[Core]:
    async def call(core: Core, ctx: RequestContext, params: dict[str, Any]) -> Any:
        params = dict(params)
        validate(spec, ctx, params)
        req = FunctionRequest(core, ctx, spec.name, params)
        return as_result(spec.name, await invoke(f"function {spec.name}", spec.fn, req, timeout))

    return call
