"""The live class registry: every class's schema, in memory, versioned on change.

A class created, changed or deleted through this process is told to the other server processes
through ``tell`` (``["class", name, schema JSON or None]``; the Redis bus, core/peers.py),
which apply it with ``tell=False``. Loading the registry at start-up tells nobody.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from chartkeep.schema.model import ClassSchema

Tell = Callable[[list[Any]], Awaitable[None] | None]


class Registry:
    def __init__(self, classes: dict[str, ClassSchema] | None = None) -> None:
        self._classes: dict[str, ClassSchema] = dict(classes or {})
        self.version = 0
        self.tell: Tell | None = None

    def get(self, class_name: str) -> ClassSchema | None:
        return self._classes.get(class_name)

    def all(self) -> list[ClassSchema]:
        return list(self._classes.values())

    def names(self) -> list[str]:
        return list(self._classes)

    def put(self, schema: ClassSchema, *, tell: bool = True) -> Awaitable[None] | None:
        self._classes[schema.name] = schema
        self.version += 1
        return self.tell(["class", schema.name, schema.to_json()]) if tell and self.tell is not None else None

    def remove(self, class_name: str, *, tell: bool = True) -> Awaitable[None] | None:
        self._classes.pop(class_name, None)
        self.version += 1
        return self.tell(["class", class_name, None]) if tell and self.tell is not None else None

    def replace_all(self, classes: dict[str, ClassSchema]) -> None:
        self._classes = dict(classes)
        self.version += 1
