"""The dialect-independent half of IR → SQL: the tree walk, subqueries, placeholders.

Every node compiles to a boolean SQL expression that is TRUE exactly when the matcher says
true; it may be NULL where the matcher says false (SQL's three-valued logic maps NULL to false
consistently through AND/OR), and ``Not`` is spelled ``(x) IS NOT TRUE`` so a NULL stays false
under negation. Column references are always qualified (``alias."col"``), so subqueries over
the same class and ``json_each``-style table functions never capture a name.
"""

from __future__ import annotations

from typing import Any

from chartkeep.query import ir
from chartkeep.storage.dialect import Dialect, Params, join_table, quote


class SqlCompiler:
    """Walks the IR; subclasses spell the leaves for one database."""

    def __init__(self, dialect: Dialect, params: Params) -> None:
        self.dialect = dialect
        self.params = params
        self._aliases = 0

    # --- helpers ----------------------------------------------------------------------------

    def p(self, value: Any) -> str:
        return self.params.add(value)

    def alias(self, prefix: str = "s") -> str:
        # Class names start with a letter (system classes with one "_"): "__x" never collides.
        self._aliases += 1
        return f"__{prefix}{self._aliases}"

    @staticmethod
    def col(qual: str, name: str) -> str:
        return f"{qual}.{quote(name)}"

    # --- tree -------------------------------------------------------------------------------

    def node(self, node: ir.Node, qual: str) -> str:
        method = getattr(self, "_" + type(node).__name__)
        return str(method(node, qual))

    def _TrueNode(self, node: ir.TrueNode, qual: str) -> str:
        return "(1 = 1)"

    def _FalseNode(self, node: ir.FalseNode, qual: str) -> str:
        return "(1 = 0)"

    def _And(self, node: ir.And, qual: str) -> str:
        return "(" + " AND ".join(self.node(item, qual) for item in node.items) + ")"

    def _Or(self, node: ir.Or, qual: str) -> str:
        return "(" + " OR ".join(self.node(item, qual) for item in node.items) + ")"

    def _Not(self, node: ir.Not, qual: str) -> str:
        return f"(({self.node(node.item, qual)}) IS NOT TRUE)"

    # --- subqueries and relations -----------------------------------------------------------

    def sub_select(self, sub: ir.SubQuery, column: str, non_null: bool = False) -> str:
        """``SELECT a."column" FROM "Sub" AS a WHERE ...``."""
        a = self.alias()
        out = f"SELECT {self.col(a, column)} FROM {quote(sub.schema.name)} AS {a} WHERE {self.node(sub.where, a)}"
        if non_null:
            out += f" AND {self.col(a, column)} IS NOT NULL"
        return out

    def _Select(self, node: ir.Select, qual: str) -> str:
        inner = self.sub_select(node.sub, node.key.name, non_null=True)
        return f"({self.col(qual, node.field.name)} IN ({inner}))"

    def related_ids_select(self, node: ir.RelatedTo) -> str:
        table = quote(join_table(node.owner_class, node.key))
        return f'SELECT "relatedId" FROM {table} WHERE "owningId" = {self.p(node.owner_id)}'

    def owning_ids_select(self, node: ir.InRelation) -> str:
        table = quote(join_table(node.owner_class, node.field))
        if isinstance(node.related, ir.SubQuery):
            related = self.sub_select(node.related, "objectId")
        else:
            related = self.id_list(node.related)
        return f'SELECT "owningId" FROM {table} WHERE "relatedId" IN ({related})'

    def _RelatedTo(self, node: ir.RelatedTo, qual: str) -> str:
        return f"({self.col(qual, 'objectId')} IN ({self.related_ids_select(node)}))"

    def _InRelation(self, node: ir.InRelation, qual: str) -> str:
        return f"({self.col(qual, 'objectId')} IN ({self.owning_ids_select(node)}))"

    def _AclReadable(self, node: ir.AclReadable, qual: str) -> str:
        return self.acl(self.col(qual, "_rperm"), node.principals)

    def _AclWritable(self, node: ir.AclWritable, qual: str) -> str:
        return self.acl(self.col(qual, "_wperm"), node.principals)

    # --- leaves, per dialect ----------------------------------------------------------------

    def id_list(self, ids: tuple[str, ...]) -> str:
        """A SELECT-able list of objectIds (for ``x IN (...)``)."""
        raise NotImplementedError

    def acl(self, column: str, principals: tuple[str, ...]) -> str:
        return self.dialect.perm_overlap(column, list(principals), self.params)

    def order_expr(self, ref: ir.FieldRef, qual: str) -> str:
        raise NotImplementedError

    def order_suffix(self, descending: bool) -> str:
        raise NotImplementedError
