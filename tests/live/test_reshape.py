"""What an after_live_query_event hook leaves is cut back to what the read guard decided
(live/reshape.py); the end-to-end cases are in tests/cloud/test_live.py."""

from __future__ import annotations

from chartkeep.live.reshape import within
from chartkeep.schema.model import ClassSchema, FieldSpec

SCHEMA = ClassSchema("Note", {name: FieldSpec("String") for name in ("title", "body", "secret", "status")})
DECIDED = {"title": "t", "ACL": {"*": {"read": True}}, "className": "Note", "objectId": "n1",
           "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "status": "draft"}


def test_values_it_was_sent_may_change_and_fields_of_its_own_be_added() -> None:
    got = within(SCHEMA, frozenset(), DECIDED, {**DECIDED, "title": "T", "shout": "hi"})
    assert (got["title"], got["shout"]) == ("T", "hi")


def test_fields_it_was_not_sent_stay_unsent() -> None:
    """``secret`` (protected) and ``body`` (outside ``keys`` or unset) were not in the decided body."""
    got = within(SCHEMA, frozenset(), DECIDED, {**DECIDED, "secret": "leaked", "body": "b"})
    assert "secret" not in got and "body" not in got


def test_the_servers_fields_keep_the_decided_values() -> None:
    forged = {**DECIDED, "objectId": "x", "className": "Other", "ACL": {"*": {"write": True}}, "createdAt": "x",
              "updatedAt": "x", "status": "signed"}
    got = within(SCHEMA, frozenset({"status"}), DECIDED, forged)
    assert got == DECIDED


def test_removing_a_field_narrows_but_the_servers_fields_come_back() -> None:
    got = within(SCHEMA, frozenset(), DECIDED, {"title": "t"})
    assert got == {k: v for k, v in DECIDED.items() if k != "status"}


def test_a_class_whose_every_field_is_the_servers() -> None:
    got = within(SCHEMA, frozenset({"*"}), DECIDED, {**DECIDED, "title": "changed", "extra": 1})
    assert got == {**DECIDED, "extra": 1}
