"""The hook registry: built-in rules run first, user hooks after them, whatever the order they
were registered in; typed values handed from a before- to an after-save hook; functions and role
sources registered once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from chartkeep.context import RequestContext
from chartkeep.core.hooks import Hooks, WriteEvent
from chartkeep.schema.model import ClassSchema


def _event(class_name: str = "Note") -> WriteEvent:
    return WriteEvent(RequestContext("app"), conn=None, schema=ClassSchema(class_name), object_id="x",  # type: ignore[arg-type]
                      is_new=True, body={}, values={})


async def test_builtins_run_before_user_hooks_registered_earlier() -> None:
    hooks: Hooks[Any] = Hooks()
    ran: list[str] = []

    def hook(name: str) -> Any:
        async def run(core: Any, event: WriteEvent) -> None:
            ran.append(name)
        return run

    hooks.add("before_save", "Note", hook("user: Note"), builtin=False)
    hooks.add("before_save", "*", hook("user: every class"), builtin=False)
    hooks.add("before_save", "*", hook("built-in: every class"))
    hooks.add("before_save", "Note", hook("built-in: Note"))
    await hooks.run("before_save", None, _event())
    assert ran == ["built-in: Note", "built-in: every class", "user: Note", "user: every class"]
    assert hooks.has("before_save", "Other") and not hooks.has("after_save", "Note")


async def test_a_value_carried_from_before_to_after_save_is_typed() -> None:
    @dataclass(frozen=True)
    class Step:
        note: str

    event = _event()
    assert event.carried(Step) is None
    event.carry(Step("n1"))
    found = event.carried(Step)
    assert found is not None and found.note == "n1"


def test_a_function_is_defined_once() -> None:
    hooks: Hooks[Any] = Hooks()

    async def f(core: Any, ctx: RequestContext, params: dict[str, Any]) -> Any:
        return None

    hooks.define("hello", f)
    with pytest.raises(ValueError, match="defined twice"):
        hooks.define("hello", f)
