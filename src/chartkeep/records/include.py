"""``include`` (pointer expansion, nested ``a.b``) and ``keys``, batched: one query per path level.

Pointers are gathered across every result first, then fetched with one ``IN (...)`` statement per
target class under the reader's ACL, so a page of 100 notes with ``include=author`` costs two
queries, never 101. A pointer the reader may not see (or that no longer exists) is removed from the
result — a pointer field loses its key, an array its element — as in Parse.
"""

from __future__ import annotations

from typing import Any

from chartkeep.access.guards import read_guard
from chartkeep.context import RequestContext
from chartkeep.core.handles import Core
from chartkeep.query import ir
from chartkeep.query.parse import parse_where
from chartkeep.query.sql import compile_select
from chartkeep.records.present import ALWAYS, present
from chartkeep.schema.model import ClassSchema
from chartkeep.storage import rows
from chartkeep.storage.database import Conn

Tree = dict[str, "Tree"]


def path_tree(paths: list[str] | None) -> Tree:
    tree: Tree = {}
    for path in paths or []:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def _pointer_refs(schema: ClassSchema, obj: dict[str, Any], key: str) -> list[tuple[str, str]]:
    spec = schema.fields.get(key)
    value = obj.get(key)
    if spec is None or value is None:
        return []
    if spec.type == "Pointer":
        return [(spec.target_class or "", value)]
    if spec.type == "Array" and isinstance(value, list):
        return [
            (v["className"], v["objectId"])
            for v in value
            if isinstance(v, dict) and v.get("__type") == "Pointer" and "className" in v and "objectId" in v
        ]
    return []


class Expander:
    def __init__(self, core: Core, ctx: RequestContext, conn: Conn) -> None:
        self.core, self.ctx, self.conn = core, ctx, conn
        self.fetched: dict[tuple[str, str], dict[str, Any]] = {}

    async def load(self, schema: ClassSchema, objs: list[dict[str, Any]], tree: Tree) -> None:
        """Fetch every object the include tree reaches, level by level."""
        for key, subtree in tree.items():
            wanted: dict[str, set[str]] = {}
            for obj in objs:
                for class_name, object_id in _pointer_refs(schema, obj, key):
                    if (class_name, object_id) not in self.fetched:
                        wanted.setdefault(class_name, set()).add(object_id)
            for class_name, ids in wanted.items():
                target = self.core.registry.get(class_name)
                if target is None:
                    continue
                found = await self._fetch(target, sorted(ids))
                for item in found:
                    self.fetched[(class_name, item["objectId"])] = item
            if subtree:
                by_class: dict[str, list[dict[str, Any]]] = {}
                for obj in objs:
                    for ref in _pointer_refs(schema, obj, key):
                        if ref in self.fetched:
                            by_class.setdefault(ref[0], []).append(self.fetched[ref])
                for class_name, children in by_class.items():
                    target = self.core.registry.get(class_name)
                    if target is not None:
                        await self.load(target, children, subtree)

    async def _fetch(self, schema: ClassSchema, ids: list[str]) -> list[dict[str, Any]]:
        """One statement per class: the wanted ids under the reader's guard (ACL + CLP). Parse
        fetches included objects as a ``get`` (RestQuery.js ``includePath``), so that is the
        operation the target class's CLP is asked for."""
        where = parse_where(schema.name, {"objectId": {"$in": ids}}, self.core.registry)
        guard = read_guard(self.ctx, schema, "get", self.core.registry)
        sql, params = compile_select(schema, where if guard is None else ir.and_(where, guard), self.conn.dialect)
        return rows.decode_rows(schema, await self.conn.fetch(sql, params), self.conn)

    def render(
        self,
        schema: ClassSchema,
        obj: dict[str, Any],
        tree: Tree,
        keys: Tree | None,
        exclude: set[str] | None = None,
    ) -> dict[str, Any]:
        top_keys = None if keys is None else set(keys) | set(ALWAYS)
        out = present(schema, obj, self.ctx, keys=top_keys, exclude=exclude)
        for key, subtree in tree.items():
            if key not in out:
                continue
            sub_keys = keys.get(key) if keys is not None else None
            expanded = self._expand(schema, obj, key, out[key], subtree, sub_keys or None)
            if expanded is None:
                del out[key]  # as Parse: a pointer the reader cannot see is dropped, not leaked
            else:
                out[key] = expanded
        return out

    def _expand(
        self, schema: ClassSchema, obj: dict[str, Any], key: str, shown: Any, tree: Tree, keys: Tree | None
    ) -> Any:
        spec = schema.fields.get(key)
        if spec is None:
            return shown  # ACL, objectId, createdAt…: nothing to expand, as Parse ignores include=ACL
        if spec.type == "Pointer":
            return self._object(spec.target_class or "", obj[key], tree, keys)
        if spec.type == "Array" and isinstance(shown, list):
            # as Parse's replacePointers: an element the reader cannot see leaves the array
            expanded = [
                self._object(v["className"], v["objectId"], tree, keys)
                if isinstance(v, dict) and v.get("__type") == "Pointer"
                else v
                for v in shown
            ]
            return [v for v in expanded if v is not None]
        return shown

    def _object(self, class_name: str, object_id: str, tree: Tree, keys: Tree | None) -> dict[str, Any] | None:
        item = self.fetched.get((class_name, object_id))
        target = self.core.registry.get(class_name)
        if item is None or target is None:
            return None
        return {**self.render(target, item, tree, keys), "__type": "Object", "className": class_name}
