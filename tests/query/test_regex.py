"""Parse's regex dialect: \\Q...\\E quoting, options, and the PostgreSQL spelling."""

from __future__ import annotations

import re

import pytest

from chartkeep.errors import ParseError
from chartkeep.query.regex import pg_pattern, prepare, unquote
from chartkeep.query.sqlite_functions import regexp


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("^\\Qa.b\\E", "^a\\.b"),
        ("\\Qa.b", "a\\.b"),  # unterminated quote runs to the end
        ("\\Qa\\E\\\\E\\Qb\\E", "a\\\\Eb"),  # the JS SDK's escaping of a literal \E
        ("a\\E", "a"),
        ("\\d+\\.x", "\\d+\\.x"),
        ("\\Qé ü\\E", "é\\ ü"),
        ("\\Q(a)[b]{c}*+?|^$\\E", "\\(a\\)\\[b\\]\\{c\\}\\*\\+\\?\\|\\^\\$"),
    ],
)
def test_unquote(pattern: str, expected: str) -> None:
    assert unquote(pattern) == expected


@pytest.mark.parametrize("literal", ["a.b", "(x)", "1+1=2", "tab\there", "é", "back\\slash", "q\\Equote"])
def test_sdk_quoted_literals_match_themselves(literal: str) -> None:
    quoted = "\\Q" + literal.replace("\\E", "\\E\\\\E\\Q") + "\\E"
    pattern, flags = prepare("^" + quoted + "$", "")
    assert re.search(pattern, literal)
    assert not re.search(pattern, literal + "x")


def test_prepare_folds_leading_inline_flags() -> None:
    assert prepare("(?i)(?m)abc", "s") == ("abc", "ims")


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        ("a$", "", "a\\Z"),  # "$" is the very end, as in PostgreSQL, unless multi-line
        ("a$", "m", "a$"),
        ("[$]\\$", "", "[$]\\$"),
        ("(?:a)(?=b)(?!c)(?<=d)(?#e)", "", "(?:a)(?=b)(?!c)(?<=d)(?#e)"),
    ],
)
def test_prepare_normalises(pattern: str, flags: str, expected: str) -> None:
    assert prepare(pattern, flags)[0] == expected


@pytest.mark.parametrize(
    "bad",
    [
        "(",
        "[a",
        "(?L)x",
        "(?P<n>a)(?P<n>b)",
        "(?P<n>a)",
        "(?>a)",
        "a++",
        "a*+",
        "a{1,2}+",
        "(?i:a)",
        "(?-i:a)",
        "(a)(?(1)b|c)",
        "[[:alpha:]]",
        "\\N{DIGIT ONE}",
    ],
)
def test_prepare_rejects_invalid(bad: str) -> None:
    with pytest.raises(ParseError):
        prepare(bad, "")


@pytest.mark.parametrize(
    ("flags", "prefix"),
    [
        ("", "(?s)a[^\\n]"),
        ("m", "(?w)a[^\\n]"),
        ("s", "(?s)a."),
        ("ms", "(?w)a."),
        ("i", "(?si)a[^\\n]"),
        ("imsx", "(?wix)a."),
    ],
)
def test_pg_options(flags: str, prefix: str) -> None:
    assert pg_pattern("a.", flags) == prefix


def test_pg_word_boundaries() -> None:
    assert pg_pattern("\\bx\\B[\\b]", "") == "(?s)\\yx\\Y[\\b]"


def test_pg_open_lower_bound() -> None:
    assert pg_pattern("a{,2}[.]\\.", "") == "(?s)a{0,2}[.]\\."


def test_sqlite_regexp_is_total() -> None:
    assert regexp("a", "cat") == 1
    assert regexp("(?i)A", "cat") == 1
    assert regexp("z", "cat") == 0
    assert regexp("(", "cat") == 0
    assert regexp("a", 5) == 0
    assert regexp("a", None) is None
