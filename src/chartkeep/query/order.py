"""``order=a,-b`` → ``[(field, descending)]`` (Parse's rules: invalid name → 105, unknown → ignored)."""

from __future__ import annotations

from chartkeep.errors import Code, ParseError
from chartkeep.query.parse import KEY_RE
from chartkeep.query.values import PATH_TYPES
from chartkeep.schema.model import ClassSchema, valid_field_name

# Parse Server's legacy spellings of the date columns.
_ALIASES = {"_created_at": "createdAt", "_updated_at": "updatedAt"}
# Names Parse refuses as fields (SchemaController.fieldNameIsValid).
_INVALID = frozenset({"className", "length"})


def parse_order(order: str | None, schema: ClassSchema) -> list[tuple[str, bool]]:
    """Sort keys in order; a later mention of a key changes its direction, not its place."""
    keys: dict[str, bool] = {}
    for raw in (order or "").split(","):
        name = raw.strip()
        if not name and not order:
            continue
        if name in ("$score", "-$score"):
            continue  # text-search score: Chartkeep has no $text, so there is nothing to rank
        descending = name.startswith("-")
        bare = name[1:] if descending else name
        name = _ALIASES.get(bare, bare)
        root = name.split(".")[0]
        if not valid_field_name(root) or root in _INVALID or not KEY_RE.match(name):
            raise ParseError(Code.INVALID_KEY_NAME, f"Invalid field name: {name}.")
        spec = schema.spec(root)
        if spec is None or spec.type in ("Relation", "ACL"):
            continue  # Parse drops sort keys the class does not have
        if "." in name and spec.type not in PATH_TYPES:
            continue
        keys[name] = descending
    return list(keys.items())
