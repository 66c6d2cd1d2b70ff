"""What a query selected, as dotted paths, and the Parse ``include`` those paths need.

Pointers are expanded the way REST's ``include`` expands them — by the same service, one
``IN (...)`` statement per class and level for the whole page — so a page of notes with their
authors and encounters costs a fixed number of statements, never one per note. That is Parse's
own approach (``extractKeysAndInclude``), and it makes unreadable pointers disappear exactly as
they do over REST.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode, SelectionSetNode

from chartkeep.schema.model import SchemaLookup


def selected_paths(info: GraphQLResolveInfo) -> set[str]:
    """Every selected path below the current field (``edges.node.author.username``, ``count``)."""
    out: set[str] = set()
    for node in info.field_nodes:
        if node.selection_set is not None:
            _walk(node.selection_set, "", info, out)
    return out


def _walk(selection_set: SelectionSetNode, prefix: str, info: GraphQLResolveInfo, out: set[str]) -> None:
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            name = sel.name.value
            if name.startswith("__"):
                continue
            path = prefix + name
            out.add(path)
            if sel.selection_set is not None:
                _walk(sel.selection_set, path + ".", info, out)
        elif isinstance(sel, InlineFragmentNode):
            _walk(sel.selection_set, prefix, info, out)
        elif isinstance(sel, FragmentSpreadNode):
            fragment = info.fragments.get(sel.name.value)
            if fragment is not None:
                _walk(fragment.selection_set, prefix, info, out)


def under(paths: Iterable[str], prefix: str) -> set[str]:
    """The paths below ``prefix`` (``edges.node.``), with it cut off."""
    return {p[len(prefix):] for p in paths if p.startswith(prefix)}


def includes(paths: Iterable[str], class_name: str, registry: SchemaLookup) -> list[str]:
    """Pointer paths with a sub-selection: ``author``, ``encounter``, ``encounter.patient``."""
    out: set[str] = set()
    for path in paths:
        parts = path.split(".")
        schema = registry.get(class_name)
        for i, part in enumerate(parts[:-1]):
            spec = schema.fields.get(part) if schema is not None else None
            if spec is None or spec.type != "Pointer":
                break
            out.add(".".join(parts[: i + 1]))
            schema = registry.get(spec.target_class or "")
    return sorted(out)
