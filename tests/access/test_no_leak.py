"""Property: no query shape returns, counts or includes an object its caller may not read.

One dataset per database (built once per test function, shared by every example): 30 ``Doc``s
and 8 ``Other``s with random values and random ACLs over three users and the role chain of
``conftest`` (carol in Reader; bob in Lead; Chief ⊃ Lead ⊃ Reader), plus objects without an ACL
and with an empty one. Which objects each caller may read is computed here, from the ACLs as
assigned — never by asking Chartkeep. Then, for random ``where`` (equality, comparisons,
$in/$nin, $exists, $regex, $or/$and/$nor, $inQuery/$notInQuery into ``Other``, $select and
$dontSelect), ``keys``, ``include``, ``order``, ``limit`` and ``count``, as each caller:

* every result is readable by the caller, and never more than the limit;
* ``count`` never exceeds the readable objects;
* an included ``ref`` is present only when the pointed ``Other`` is readable (and then it is);
* without subqueries, results and count are exactly the master key's matches ∩ readable;
* a lone subquery's inner query sees exactly the caller's readable ``Other``s (computed from the
  master key's inner matches ∩ readable), so results and count are known exactly too.

``ACCESS_PROPERTY_EXAMPLES`` sets the number of examples per database (default 75).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.access.conftest import User, World, ptr, q, user_ptr

N_DOCS, N_OTHERS = 30, 8
TITLES = ["a", "b", "ab", "B", "x"]
NUMBERS = [-1, 0, 1, 2, 2.5]


@dataclass
class Dataset:
    world: World
    viewers: dict[str, User | None]  # name → user (None: anonymous)
    doc_acl: dict[str, dict[str, Any] | None]
    other_acl: dict[str, dict[str, Any] | None]
    doc_ref: dict[str, str | None]
    doc_title: dict[str, str]
    other_name: dict[str, str]
    readable_docs: dict[str, set[str]]
    readable_others: dict[str, set[str]]


def random_acl(rng: random.Random, principals: list[str]) -> dict[str, Any] | None:
    kind = rng.random()
    if kind < 0.15:
        return None  # no ACL: public
    if kind < 0.22:
        return {}  # empty ACL: master key only
    if kind < 0.32:
        return {"*": {"read": True}}
    acl: dict[str, Any] = {}
    for p in rng.sample(principals, rng.randint(1, 3)):
        perm = rng.choice([{"read": True}, {"write": True}, {"read": True, "write": True}])
        acl[p] = perm
    return acl


def can_read(acl: dict[str, Any] | None, principals: set[str]) -> bool:
    if acl is None:
        return True
    return any(p in principals and entry.get("read") is True for p, entry in acl.items())


@pytest.fixture
async def dataset(world: World) -> Dataset:
    w = world
    # bob joins Lead directly; carol holds Reader, and through it Lead and Chief
    r = await w.api.put(
        f"/roles/{w.roles['Lead']}",
        {"users": {"__op": "AddRelation", "objects": [user_ptr(w.bob.id)]}},
        master=True,
    )
    assert r.status_code == 200, r.text
    principals_of = {
        "anonymous": {"*"},
        "alice": {"*", w.alice.id},
        "bob": {"*", w.bob.id, "role:Lead", "role:Chief"},
        "carol": {"*", w.carol.id, "role:Reader", "role:Lead", "role:Chief"},
    }
    pool = [w.alice.id, w.bob.id, w.carol.id, "role:Reader", "role:Lead", "role:Chief", "*"]
    rng = random.Random(20240611)
    other_acl: dict[str, Any] = {}
    other_name: dict[str, str] = {}
    for i in range(N_OTHERS):
        acl = random_acl(rng, pool)
        body: dict[str, Any] = {"name": rng.choice(TITLES), "code": str(i)}
        if acl is not None:
            body["ACL"] = acl
        oid = await w.make("Other", **body)
        other_acl[oid], other_name[oid] = acl, body["name"]
    doc_acl: dict[str, Any] = {}
    doc_ref: dict[str, str | None] = {}
    doc_title: dict[str, str] = {}
    others = list(other_acl)
    for _ in range(N_DOCS):
        acl = random_acl(rng, pool)
        body = {"title": rng.choice(TITLES)}
        if rng.random() < 0.8:
            body["n"] = rng.choice(NUMBERS)
        if rng.random() < 0.6:
            body["owner"] = user_ptr(rng.choice(w.users).id)
        if rng.random() < 0.5:
            body["editors"] = [user_ptr(u.id) for u in rng.sample(w.users, rng.randint(0, 2))]
        ref = rng.choice(others) if rng.random() < 0.75 else None
        if ref is not None:
            body["ref"] = ptr("Other", ref)
        if acl is not None:
            body["ACL"] = acl
        oid = await w.make("Doc", **body)
        doc_acl[oid], doc_ref[oid], doc_title[oid] = acl, ref, body["title"]
    viewers = {"anonymous": None, "alice": w.alice, "bob": w.bob, "carol": w.carol}
    ds = Dataset(
        w,
        viewers,
        doc_acl,
        other_acl,
        doc_ref,
        doc_title,
        other_name,
        {v: {o for o, acl in doc_acl.items() if can_read(acl, principals_of[v])} for v in viewers},
        {v: {o for o, acl in other_acl.items() if can_read(acl, principals_of[v])} for v in viewers},
    )
    # the dataset is not degenerate: each caller misses some objects and sees others
    for v in viewers:
        assert 0 < len(ds.readable_docs[v]) < N_DOCS, v
    r = await w.api.get("/classes/Doc", master=True, params={"count": "1", "limit": "1000"})
    assert (len(r.json()["results"]), r.json()["count"]) == (N_DOCS, N_DOCS)
    return ds


# ---- strategies ----------------------------------------------------------------------------


def where_strategy(users: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    titles = st.sampled_from(TITLES + ["none"])
    numbers = st.sampled_from(NUMBERS + [3])
    user = st.sampled_from(users).map(user_ptr)
    inner = st.one_of(
        st.just({}),
        titles.map(lambda v: {"name": v}),
        st.lists(titles, min_size=1, max_size=3).map(lambda v: {"name": {"$in": v}}),
        st.sampled_from(["0", "3", "7"]).map(lambda v: {"code": {"$gte": v}}),
    )
    subquery = st.one_of(
        st.builds(
            lambda op, w: {"ref": {op: {"className": "Other", "where": w}}},
            st.sampled_from(["$inQuery", "$notInQuery"]),
            inner,
        ),
        st.builds(
            lambda op, w: {"title": {op: {"query": {"className": "Other", "where": w}, "key": "name"}}},
            st.sampled_from(["$select", "$dontSelect"]),
            inner,
        ),
    )
    leaf = st.one_of(
        titles.map(lambda v: {"title": v}),
        st.builds(lambda op, v: {"title": {op: v}}, st.sampled_from(["$ne", "$lt", "$gte"]), titles),
        st.builds(
            lambda op, v: {"title": {op: v}}, st.sampled_from(["$in", "$nin"]), st.lists(titles, max_size=3)
        ),
        st.builds(lambda v: {"title": {"$regex": v}}, st.sampled_from(["^a", "b$", "(?i)^b", "."])),
        st.builds(
            lambda op, v: {"n": {op: v}}, st.sampled_from(["$lt", "$lte", "$gt", "$gte", "$ne"]), numbers
        ),
        st.builds(
            lambda f, v: {f: {"$exists": v}}, st.sampled_from(["n", "owner", "ref", "editors"]), st.booleans()
        ),
        user.map(lambda u: {"owner": u}),
        user.map(lambda u: {"editors": u}),
        st.lists(user, min_size=1, max_size=2).map(lambda v: {"editors": {"$all": v}}),
        subquery,
    )
    # lone subqueries (checked exactly) and lone leaves come up often, then combinations
    return st.one_of(
        subquery,
        leaf,
        st.recursive(
            leaf,
            lambda inner_where: st.one_of(
                st.builds(
                    lambda op, items: {op: items},
                    st.sampled_from(["$or", "$and", "$nor"]),
                    st.lists(inner_where, min_size=1, max_size=3),
                ),
                st.builds(lambda a, b: {**a, **b}, inner_where, inner_where),
            ),
            max_leaves=5,
        ),
    )


def has_subquery(where: Any) -> bool:
    if isinstance(where, dict):
        return any(
            k in ("$inQuery", "$notInQuery", "$select", "$dontSelect") or has_subquery(v)
            for k, v in where.items()
        )
    if isinstance(where, list):
        return any(has_subquery(v) for v in where)
    return False


def single_subquery(where: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """``(operator, inner where)`` when ``where`` is exactly one subquery constraint."""
    if len(where) != 1:
        return None
    [(key, value)] = where.items()
    if key not in ("ref", "title") or not isinstance(value, dict) or len(value) != 1:
        return None
    [(op, arg)] = value.items()
    if op in ("$inQuery", "$notInQuery"):
        return op, arg["where"]
    if op in ("$select", "$dontSelect"):
        return op, arg["query"]["where"]
    return None


def subquery_hit(ds: Dataset, op: str, doc: str, seen: set[str], names: set[str]) -> bool:
    if op == "$inQuery":
        return ds.doc_ref[doc] in seen
    if op == "$notInQuery":
        return ds.doc_ref[doc] not in seen
    if op == "$select":
        return ds.doc_title[doc] in names
    return ds.doc_title[doc] not in names


options = st.fixed_dictionaries(
    {},
    optional={
        "keys": st.lists(
            st.sampled_from(["title", "n", "ref", "owner"]), min_size=1, max_size=3, unique=True
        ).map(",".join),
        "include": st.just("ref"),
        "order": st.sampled_from(["title", "-n", "createdAt", "-title,n", "ref"]),
        "limit": st.sampled_from(["0", "1", "3", "1000"]),
        "count": st.just("1"),
    },
)


@settings(
    max_examples=int(os.environ.get("ACCESS_PROPERTY_EXAMPLES", "75")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_query_reveals_unreadable_objects(dataset: Dataset, data: st.DataObject) -> None:
    ds = dataset
    api = ds.world.api
    where = data.draw(where_strategy([u.id for u in ds.world.users]), label="where")
    opts = data.draw(options, label="options")
    params = {**q(where=where), **opts}
    r = await api.get("/classes/Doc", master=True, params={**q(where=where), "limit": "1000"})
    assert r.status_code == 200, r.text
    matching = {o["objectId"] for o in r.json()["results"]}
    limit = int(opts.get("limit", "100"))
    single = single_subquery(where)
    inner_matching: set[str] = set()
    if single is not None:
        r = await api.get("/classes/Other", master=True, params={**q(where=single[1]), "limit": "1000"})
        inner_matching = {o["objectId"] for o in r.json()["results"]}
    for name, user in ds.viewers.items():
        r = await api.get("/classes/Doc", session=user.token if user else None, params=params)
        assert r.status_code == 200, (name, r.text)
        body = r.json()
        ids = [o["objectId"] for o in body["results"]]
        readable = ds.readable_docs[name]
        assert set(ids) <= readable, (name, set(ids) - readable)
        assert len(ids) <= limit and len(ids) == len(set(ids))
        if "count" in opts:
            assert body["count"] <= len(readable), name
        if not has_subquery(where):
            expected = matching & readable
            assert set(ids) <= expected, name
            assert len(ids) == min(limit, len(expected)), name
            if "count" in opts:
                assert body["count"] == len(expected), name
        if single is not None:
            # the inner query sees what the caller may read, nothing more (nor less)
            op, _ = single
            seen = inner_matching & ds.readable_others[name]
            names = {ds.other_name[o] for o in seen}
            expected = {d for d in readable if subquery_hit(ds, op, d, seen, names)}
            assert set(ids) <= expected, (name, op)
            assert len(ids) == min(limit, len(expected)), (name, op)
            if "count" in opts:
                assert body["count"] == len(expected), (name, op)
        shows_ref = "keys" not in opts or "ref" in opts["keys"].split(",")
        for obj in body["results"]:
            ref = ds.doc_ref[obj["objectId"]]
            if "include" in opts:
                if "ref" in obj:
                    assert obj["ref"]["__type"] == "Object", name
                    assert obj["ref"]["objectId"] in ds.readable_others[name], name
                else:
                    assert ref is None or ref not in ds.readable_others[name] or not shows_ref, name
                if shows_ref and ref is not None and ref in ds.readable_others[name]:
                    assert obj.get("ref", {}).get("objectId") == ref, name
            elif "ref" in obj:
                assert obj["ref"] == ptr("Other", ref or ""), name
