"""Query depth and cost, measured on the parsed operation before it runs.

* depth: the longest chain of nested fields (``medicalNotes { edges { node { author { username }}}}``
  is 5), fragments followed;
* cost: every selected field counts 1, and everything selected below a connection's ``edges``
  counts once per row the page may hold (``first``/``last``, else the default page of 100), so
  ``patients(first: 10) { edges { node { a b c } } }`` costs 1 + 1 + 10 × (1 + 3) = 42.

Introspection fields (``__schema``, ``__type``) are not measured: the explorer's introspection
query is deep by nature, and ``graphql_introspection`` is the switch for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from chartkeep.api.graphql.pages import DEFAULT_PAGE


@dataclass(slots=True)
class Measure:
    depth: int
    cost: int


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return ops[0] if len(ops) == 1 else None
    return next((o for o in ops if o.name is not None and o.name.value == name), None)


def measure(document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]) -> Measure:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _measure(operation.selection_set, fragments, variables, 1)


def _page(node: FieldNode, variables: dict[str, Any]) -> int:
    size = None
    for arg in node.arguments or ():
        if arg.name.value in ("first", "last"):
            value = arg.value
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
                size = variables[value.name.value]
    return max(size if size is not None else DEFAULT_PAGE, 1)


def _measure(
    sel: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any], depth: int,
    page: int | None = None,
) -> Measure:
    """``page``: rows of the connection this selection set belongs to (multiplies its ``edges``)."""
    out = Measure(depth - 1, 0)
    for node in sel.selections:
        if isinstance(node, FieldNode):
            if node.name.value.startswith("__"):
                continue
            out.depth = max(out.depth, depth)
            out.cost += 1
            if node.selection_set is None:
                continue
            child_page = _page(node, variables)  # only a connection's `edges` below will use it
            inner = _measure(node.selection_set, fragments, variables, depth + 1, child_page)
            out.depth = max(out.depth, inner.depth)
            out.cost += inner.cost * (page if node.name.value == "edges" and page else 1)
            continue
        if isinstance(node, InlineFragmentNode):
            inner_sel: SelectionSetNode | None = node.selection_set
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            inner_sel = fragments[node.name.value].selection_set
        else:
            inner_sel = None
        if inner_sel is not None:
            inner = _measure(inner_sel, fragments, variables, depth, page)
            out.depth = max(out.depth, inner.depth)
            out.cost += inner.cost
    return out

