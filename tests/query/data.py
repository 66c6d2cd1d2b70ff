"""A fixed dataset (internal values) and table-driven ``where`` cases with their exact answers.

Items a..e cover each field type with present, missing, null and odd values; the cases are run
through SQL on both databases and through the in-memory matcher.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def D(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ptr(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def date_json(text: str) -> dict[str, str]:
    return {"__type": "Date", "iso": text}


USERS = [
    {"objectId": "u1", "username": "ann", "age": 30, "team": "t1"},
    # bob is readable by himself only (subquery scope tests)
    {"objectId": "u2", "username": "bob", "age": 40, "team": "t2", "_rperm": ["u2"]},
    {"objectId": "u3", "username": "cat"},
]
TEAMS = [
    {"objectId": "t1", "title": "red", "lead": "u1", "size": 3},
    {"objectId": "t2", "title": "blue", "lead": "u3", "size": 5},
]
ITEMS: list[dict[str, Any]] = [
    {
        "objectId": "a",
        "createdAt": D("2024-01-01T00:00:00"),
        "name": "alpha",
        "n": 1,
        "flag": True,
        "when": D("2024-01-01T00:00:00"),
        "owner": "u1",
        "tags": ["x", "y"],
        "meta": {"k": "v", "num": 5, "deep": {"z": 1}, "d": date_json("2024-03-01T00:00:00.000Z")},
        "file": "a.txt",
        "loc": {"latitude": 1, "longitude": 2},
        "label": "red",
    },
    {
        "objectId": "b",
        "createdAt": D("2024-01-02T00:00:00"),
        "name": "Beta",
        "n": 2.5,
        "flag": False,
        "when": D("2024-02-01T00:00:00"),
        "owner": "u2",
        "tags": ["y", 3],
        "meta": {"k": "w", "num": 10},
        "label": "blue",
    },
    {
        "objectId": "c",
        "createdAt": D("2024-01-03T00:00:00"),
        "name": "gamma\nline",
        "n": -3,
        "when": D("2023-12-31T23:59:59.999000"),
        "owner": "u1",
        "tags": [],
        "meta": {"k": None},
        "label": "nobody",
    },
    {"objectId": "d", "createdAt": D("2024-01-04T00:00:00"), "name": "delta"},
    {
        "objectId": "e",
        "createdAt": D("2024-01-05T00:00:00"),
        "name": "épsilon",
        "n": 0,
        "flag": True,
        "owner": "u3",
        "tags": [ptr("_User", "u1"), True, None, 1.5, {"a": [1, 2]}],
        "meta": {"num": "5", "arr": [1, 2]},
        "label": "red",
    },
]
ALL = ["a", "b", "c", "d", "e"]
FANS = [("a", "u1"), ("a", "u2"), ("b", "u2")]


def _cases() -> list[tuple[str, dict[str, Any], list[str]]]:
    d = date_json
    u = lambda oid: ptr("_User", oid)  # noqa: E731
    return [
        # equality and $ne on each scalar type
        ("string eq", {"name": "alpha"}, ["a"]),
        ("string ne", {"name": {"$ne": "alpha"}}, ["b", "c", "d", "e"]),
        ("string $eq", {"name": {"$eq": "Beta"}}, ["b"]),
        ("number eq int", {"n": 1}, ["a"]),
        ("number eq float form", {"n": 1.0}, ["a"]),
        ("number eq fraction", {"n": 2.5}, ["b"]),
        ("number vs string never equal", {"n": "1"}, []),
        ("number ne string matches all", {"n": {"$ne": "1"}}, ALL),
        ("bool true", {"flag": True}, ["a", "e"]),
        ("bool false", {"flag": False}, ["b"]),
        ("bool ne true", {"flag": {"$ne": True}}, ["b", "c", "d"]),
        ("bool vs number never equal", {"flag": 1}, []),
        ("null matches missing", {"flag": None}, ["c", "d"]),
        ("ne null matches present", {"flag": {"$ne": None}}, ["a", "b", "e"]),
        ("exists true", {"flag": {"$exists": True}}, ["a", "b", "e"]),
        ("exists false", {"flag": {"$exists": False}}, ["c", "d"]),
        ("exists truthy string", {"flag": {"$exists": "yes"}}, ["a", "b", "e"]),
        ("exists zero is false", {"flag": {"$exists": 0}}, ["c", "d"]),
        ("file by name", {"file": "a.txt"}, ["a"]),
        ("file by json", {"file": {"__type": "File", "name": "a.txt"}}, ["a"]),
        ("geopoint eq", {"loc": {"__type": "GeoPoint", "latitude": 1.0, "longitude": 2}}, ["a"]),
        ("geopoint sub-key", {"loc.latitude": {"$gt": 0}}, ["a"]),
        # order comparisons
        ("gt", {"n": {"$gt": 0}}, ["a", "b"]),
        ("gte", {"n": {"$gte": 0}}, ["a", "b", "e"]),
        ("lt", {"n": {"$lt": 1}}, ["c", "e"]),
        ("range", {"n": {"$lte": 1, "$gt": -3}}, ["a", "e"]),
        ("lt string on number", {"n": {"$lt": "z"}}, []),
        ("lt null", {"n": {"$lt": None}}, []),
        ("lte null", {"n": {"$lte": None}}, ["d"]),
        ("string gt is code point order", {"name": {"$gt": "B"}}, ALL),
        ("string lt b (C collation)", {"name": {"$lt": "b"}}, ["a", "b"]),
        ("string lt a", {"name": {"$lt": "a"}}, ["b"]),
        ("bool order", {"flag": {"$gt": False}}, ["a", "e"]),
        # dates
        ("date gt", {"when": {"$gt": d("2024-01-01T00:00:00.000Z")}}, ["b"]),
        ("date gte", {"when": {"$gte": d("2024-01-01T00:00:00.000Z")}}, ["a", "b"]),
        ("date lt", {"when": {"$lt": d("2024-01-01T00:00:00.000Z")}}, ["c"]),
        ("date eq without ms", {"when": d("2024-01-01T00:00:00Z")}, ["a"]),
        ("date eq with offset", {"when": d("2024-01-01T01:00:00+01:00")}, ["a"]),
        ("date eq ms", {"when": d("2023-12-31T23:59:59.999Z")}, ["c"]),
        ("date as iso string", {"when": {"$lt": "2024-01-01T00:00:00Z"}}, ["c"]),
        ("date vs number", {"when": {"$lt": 5}}, []),
        ("relative time ago", {"when": {"$gt": {"$relativeTime": "100 years ago"}}}, ["a", "b", "c"]),
        ("relative time future", {"when": {"$lt": {"$relativeTime": "in 1 day 2 hrs"}}}, ["a", "b", "c"]),
        ("relative time now", {"when": {"$gt": {"$relativeTime": "now"}}}, []),
        ("relative time unknown field", {"nope": {"$gt": {"$relativeTime": "now"}}}, []),
        ("createdAt gt", {"createdAt": {"$gt": d("2024-01-02T00:00:00.000Z")}}, ["c", "d", "e"]),
        ("updatedAt lte", {"updatedAt": {"$lte": d("2024-01-01T00:00:00.000Z")}}, ALL),
        # pointers and objectId
        ("pointer eq", {"owner": u("u1")}, ["a", "c"]),
        ("pointer wrong class", {"owner": ptr("Team", "u1")}, []),
        ("pointer by objectId", {"owner": "u1"}, ["a", "c"]),
        ("pointer in", {"owner": {"$in": [u("u2"), u("u3")]}}, ["b", "e"]),
        ("pointer nin", {"owner": {"$nin": [u("u1")]}}, ["b", "d", "e"]),
        ("pointer ne", {"owner": {"$ne": u("u1")}}, ["b", "d", "e"]),
        ("pointer missing", {"owner": {"$exists": False}}, ["d"]),
        ("objectId eq", {"objectId": "a"}, ["a"]),
        ("objectId in", {"objectId": {"$in": ["a", "b", "zz"]}}, ["a", "b"]),
        ("objectId nin", {"objectId": {"$nin": ["a"]}}, ["b", "c", "d", "e"]),
        # $in / $nin on scalars
        ("in strings", {"name": {"$in": ["alpha", "Beta", None]}}, ["a", "b"]),
        ("in null and false", {"flag": {"$in": [None, False]}}, ["b", "c", "d"]),
        ("nin null", {"flag": {"$nin": [None]}}, ["a", "b", "e"]),
        ("nin values keeps missing", {"flag": {"$nin": [True]}}, ["b", "c", "d"]),
        ("in empty", {"name": {"$in": []}}, []),
        ("nin empty", {"name": {"$nin": []}}, ALL),
        ("in nested list flattened", {"n": {"$in": [[1, 0]]}}, ["a", "e"]),
        ("in mixed types", {"n": {"$in": ["1", 2.5, True]}}, ["b"]),
        ("all on scalar", {"name": {"$all": ["alpha"]}}, ["a"]),
        # arrays
        ("array contains string", {"tags": "y"}, ["a", "b"]),
        ("array contains number", {"tags": 3}, ["b"]),
        ("array contains number float form", {"tags": 3.0}, ["b"]),
        ("array contains bool", {"tags": True}, ["e"]),
        ("array 1 is not true", {"tags": 1}, []),
        ("array contains pointer", {"tags": u("u1")}, ["e"]),
        ("array contains object", {"tags": {"a": [1, 2]}}, ["e"]),
        ("array contains object (not partially)", {"tags": {"a": [1]}}, []),
        ("array in", {"tags": {"$in": ["x", 3]}}, ["a", "b"]),
        ("array in float", {"tags": {"$in": [1.5]}}, ["e"]),
        ("array in object", {"tags": {"$in": [{"a": [1, 2]}, "nothing"]}}, ["e"]),
        ("array in null", {"tags": {"$in": [None]}}, ["d"]),
        ("array nin", {"tags": {"$nin": ["y"]}}, ["c", "d", "e"]),
        ("array ne", {"tags": {"$ne": "y"}}, ["c", "d", "e"]),
        ("array all", {"tags": {"$all": ["x", "y"]}}, ["a"]),
        ("array all one", {"tags": {"$all": ["y"]}}, ["a", "b"]),
        ("array all with object", {"tags": {"$all": [{"a": [1, 2]}, True]}}, ["e"]),
        ("array all empty", {"tags": {"$all": []}}, []),
        ("array containedBy", {"tags": {"$containedBy": ["x", "y", 3]}}, ["a", "b", "c", "d"]),
        ("array containedBy empty", {"tags": {"$containedBy": []}}, ["c", "d"]),
        (
            "array containedBy objects",
            {"tags": {"$containedBy": [u("u1"), True, None, 1.5, {"a": [1, 2]}]}},
            ["c", "d", "e"],
        ),
        ("array exists", {"tags": {"$exists": True}}, ["a", "b", "c", "e"]),
        ("array whole eq", {"tags": {"$eq": ["x", "y"]}}, ["a"]),
        ("array whole eq order matters", {"tags": {"$eq": ["y", "x"]}}, []),
        ("array regex", {"tags": {"$regex": "^x"}}, ["a"]),
        ("array all regex", {"tags": {"$all": [{"$regex": "^\\Qx\\E"}, {"$regex": "^y"}]}}, ["a"]),
        # Object sub-keys
        ("subkey eq", {"meta.k": "v"}, ["a"]),
        ("subkey null", {"meta.k": None}, ["c", "d", "e"]),
        ("subkey exists", {"meta.k": {"$exists": True}}, ["a", "b", "c"]),
        ("subkey not exists", {"meta.k": {"$exists": False}}, ["d", "e"]),
        ("subkey ne null", {"meta.k": {"$ne": None}}, ["a", "b"]),
        ("subkey number gt", {"meta.num": {"$gt": 6}}, ["b"]),
        ("subkey number eq", {"meta.num": 5}, ["a"]),
        ("subkey string eq", {"meta.num": "5"}, ["e"]),
        ("subkey string lt", {"meta.num": {"$lt": "6"}}, ["e"]),
        ("subkey deep", {"meta.deep.z": 1}, ["a"]),
        ("subkey object eq", {"meta.deep": {"z": 1}}, ["a"]),
        ("subkey object eq float", {"meta.deep": {"z": 1.0}}, ["a"]),
        ("subkey array eq", {"meta.arr": [1, 2]}, ["e"]),
        ("subkey date gt", {"meta.d": {"$gt": d("2024-02-01T00:00:00.000Z")}}, ["a"]),
        ("subkey date eq", {"meta.d": d("2024-03-01T00:00:00Z")}, ["a"]),
        ("subkey in", {"meta.k": {"$in": ["v", "w"]}}, ["a", "b"]),
        ("subkey nin", {"meta.k": {"$nin": ["v"]}}, ["b", "c", "d", "e"]),
        ("subkey regex", {"meta.k": {"$regex": "^v"}}, ["a"]),
        ("subkey through a string", {"meta.k.x": "v"}, []),
        ("object eq empty", {"meta": {}}, []),
        # regex
        ("regex prefix", {"name": {"$regex": "^al"}}, ["a"]),
        ("regex i", {"name": {"$regex": "^b", "$options": "i"}}, ["b"]),
        ("regex case", {"name": {"$regex": "ALPHA"}}, []),
        ("regex m", {"name": {"$regex": "^line", "$options": "m"}}, ["c"]),
        ("regex no m", {"name": {"$regex": "^line"}}, []),
        ("regex dot excludes newline", {"name": {"$regex": "gamma.line"}}, []),
        ("regex negated class matches newline", {"name": {"$regex": "a[^x]l"}}, ["c"]),
        ("regex s", {"name": {"$regex": "gamma.line", "$options": "s"}}, ["c"]),
        ("regex x", {"name": {"$regex": "al pha # comment", "$options": "x"}}, ["a"]),
        ("regex quoted literal", {"name": {"$regex": "^\\Qépsi\\E"}}, ["e"]),
        ("regex quoted dot", {"name": {"$regex": "\\Qa.\\E"}}, []),
        ("regex word boundary", {"name": {"$regex": "\\balpha\\b"}}, ["a"]),
        ("regex end", {"file": {"$regex": "txt$"}}, ["a"]),
        ("regex open lower bound", {"name": {"$regex": "^x{,2}alpha"}}, ["a"]),
        ("regex end of a line", {"name": {"$regex": "gamma$", "$options": "m"}}, ["c"]),
        ("regex end is not a line end", {"name": {"$regex": "gamma$"}}, []),
        ("regex on number", {"n": {"$regex": "1"}}, []),
        ("regex empty", {"name": {"$regex": ""}}, ALL),
        ("regex inline flag", {"name": {"$regex": "(?i)^BETA"}}, ["b"]),
        # logical
        ("or", {"$or": [{"name": "alpha"}, {"n": {"$lt": 0}}]}, ["a", "c"]),
        ("and", {"$and": [{"flag": True}, {"n": {"$gt": 0}}]}, ["a"]),
        ("nor", {"$nor": [{"flag": True}, {"name": "delta"}]}, ["b", "c"]),
        (
            "nested",
            {"$or": [{"$and": [{"flag": True}, {"label": "red"}]}, {"name": "Beta"}]},
            ["a", "b", "e"],
        ),
        ("and with field", {"label": "red", "$or": [{"n": 0}, {"n": 5}]}, ["e"]),
        ("empty where", {}, ALL),
        # fields the class lacks
        ("unknown eq", {"nope": 1}, []),
        ("unknown exists false", {"nope": {"$exists": False}}, ALL),
        ("unknown null", {"nope": None}, ALL),
        ("unknown ne", {"nope": {"$ne": 1}}, ALL),
        ("unknown in", {"nope": {"$in": [1]}}, []),
        ("unknown nin", {"nope": {"$nin": [1]}}, ALL),
        ("unknown containedBy", {"nope": {"$containedBy": [1]}}, ALL),
        ("sub-key of a String", {"name.x": "a"}, []),
        ("sub-key of a Pointer", {"owner.username": "ann"}, []),
        ("unknown in or", {"$or": [{"nope": 1}, {"name": "delta"}]}, ["d"]),
    ]


CASES = _cases()
