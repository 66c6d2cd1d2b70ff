"""Property: for random objects and random ``where``, SQL (both databases) and the matcher agree."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartkeep.query.matcher import matches
from chartkeep.query.parse import parse_where
from chartkeep.schema.model import ClassSchema, FieldSpec
from tests.query.conftest import Backend, Schemas, internal_row
from tests.query.data import date_json, ptr

PROP = ClassSchema(
    "Prop",
    {
        "s": FieldSpec("String"),
        "x": FieldSpec("Number"),
        "b": FieldSpec("Boolean"),
        "t": FieldSpec("Date"),
        "p": FieldSpec("Pointer", "_User"),
        "arr": FieldSpec("Array"),
        "o": FieldSpec("Object"),
    },
)
PROP_SCHEMAS = Schemas([PROP])
DATES = [
    datetime(2024, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
]

strings = st.sampled_from(["a", "b", "B", "ab", "é", "", "a\nb", "A", "a\n", "b a"])
numbers = st.sampled_from([-2, -1, 0, 1, 2, 0.5, 1.5, -0.5, 1000.0])
scalars = st.one_of(strings, numbers, st.booleans(), st.none())
elements = st.one_of(scalars, st.sampled_from([ptr("_User", "u1"), {"k": 1}, {"k": 1.0, "j": [1]}]))
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def objects(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 6))):
        sub = draw(
            st.dictionaries(st.sampled_from(["k", "m"]), st.one_of(elements, st.just({"z": 1})), max_size=2)
        )
        obj = {
            "objectId": f"o{i}",
            "s": draw(maybe(strings)),
            "x": draw(maybe(numbers)),
            "b": draw(maybe(st.booleans())),
            "t": draw(maybe(st.sampled_from(DATES))),
            "p": draw(maybe(st.sampled_from(["u1", "u2"]))),
            "arr": draw(maybe(st.lists(elements, max_size=3))),
            "o": draw(maybe(st.just(sub))),
        }
        out.append({k: v for k, v in obj.items() if v is not None})
    return out


json_values = st.one_of(
    scalars,
    st.sampled_from(
        [
            date_json("2024-01-01T00:00:00.000Z"),
            date_json("2000-01-01T00:00:00Z"),
            ptr("_User", "u1"),
            ptr("Team", "u1"),
        ]
    ),
)
patterns = st.sampled_from(
    [
        "a",
        "^a",
        "b$",
        "a$",
        "^\\Qa\\E",
        "A",
        ".",
        "a.b",
        "^$",
        "^b",
        "(?i)^a",
        "\\ba",
        "a\\b",
        "\\Ba",
        "^a{,1}$",
        "[^a]",
    ]
)
options = st.sampled_from([None, "i", "m", "s", "ms"])
ORDER_OPS = ["$eq", "$ne", "$lt", "$lte", "$gt", "$gte"]


@st.composite
def regex(draw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"$regex": draw(patterns)}
    opt = draw(options)
    if opt:
        out["$options"] = opt
    return out


def scalar_constraint(values: Any) -> Any:
    return st.one_of(
        values,
        st.builds(lambda op, v: {op: v}, st.sampled_from(ORDER_OPS), values),
        st.builds(lambda v: {"$in": v}, st.lists(values, max_size=3)),
        st.builds(lambda v: {"$nin": v}, st.lists(values, max_size=3)),
        st.builds(lambda v: {"$exists": v}, st.booleans()),
        regex(),
    )


array_constraint = st.one_of(
    elements,
    st.builds(lambda v: {"$ne": v}, elements),
    st.builds(lambda v: {"$in": v}, st.lists(elements, max_size=3)),
    st.builds(lambda v: {"$nin": v}, st.lists(elements, max_size=3)),
    st.builds(lambda v: {"$all": v}, st.lists(elements, max_size=3)),
    st.builds(lambda v: {"$containedBy": v}, st.lists(elements, max_size=3)),
    st.builds(lambda v: {"$exists": v}, st.booleans()),
    regex(),
)
path_values = st.one_of(json_values, st.just({"z": 1}))
leaf = st.one_of(
    st.builds(lambda c: {"s": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"x": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"b": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"t": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"p": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"objectId": c}, scalar_constraint(st.sampled_from(["o0", "o1", "o9"]))),
    st.builds(lambda c: {"arr": c}, array_constraint),
    st.builds(lambda c: {"o.k": c}, scalar_constraint(path_values)),
    st.builds(lambda c: {"o.k.z": c}, scalar_constraint(json_values)),
    st.builds(lambda c: {"o": c}, st.sampled_from([{}, {"$exists": True}, None])),
)
wheres = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(
            lambda op, items: {op: items},
            st.sampled_from(["$and", "$or", "$nor"]),
            st.lists(inner, min_size=1, max_size=3),
        ),
        st.builds(lambda a, b: {**a, **b}, inner, inner),
    ),
    max_leaves=6,
)


@pytest.fixture
async def prop_backend(empty_backend: Backend) -> Backend:
    await empty_backend.create(PROP_SCHEMAS)
    return empty_backend


@settings(
    max_examples=int(os.environ.get("QUERY_PROPERTY_EXAMPLES", "250")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(objs=objects(), where=wheres)
async def test_sql_and_matcher_agree(
    prop_backend: Backend, objs: list[dict[str, Any]], where: dict[str, Any]
) -> None:
    await prop_backend.execute('DELETE FROM "Prop"')
    await prop_backend.insert_all(PROP, objs)
    node = parse_where("Prop", where, PROP_SCHEMAS)
    rows = [internal_row(PROP, o) for o in objs]
    expected = sorted(o["objectId"] for o in rows if matches(node, o))
    assert sorted(await prop_backend.run(PROP, node)) == expected
