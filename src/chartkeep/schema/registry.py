"""The live class registry: every class's schema, in memory, versioned on change."""

from __future__ import annotations

from chartkeep.schema.model import ClassSchema


class Registry:
    def __init__(self, classes: dict[str, ClassSchema] | None = None) -> None:
        self._classes: dict[str, ClassSchema] = dict(classes or {})
        self.version = 0

    def get(self, class_name: str) -> ClassSchema | None:
        return self._classes.get(class_name)

    def all(self) -> list[ClassSchema]:
        return list(self._classes.values())

    def names(self) -> list[str]:
        return list(self._classes)

    def put(self, schema: ClassSchema) -> None:
        self._classes[schema.name] = schema
        self.version += 1

    def remove(self, class_name: str) -> None:
        self._classes.pop(class_name, None)
        self.version += 1

    def replace_all(self, classes: dict[str, ClassSchema]) -> None:
        self._classes = dict(classes)
        self.version += 1
