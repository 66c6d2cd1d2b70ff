"""Parse's regex dialect: \\Q...\\E quoting, options, and the PostgreSQL spelling."""

from __future__ import annotations

import re
import time

import pytest

from chartkeep.errors import ParseError
from chartkeep.query.regex import pg_pattern, prepare, re2_pattern, search, unquote
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
        ("(?:a)[$]", "", "(?:a)[$]"),
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
        "(a)\\1",  # RE2, which runs every $regex this process evaluates, has no backreferences…
        "a(?=b)",  # …lookahead…
        "(?<=a)b",  # …lookbehind…
        "(?#note)a",  # …or comments
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


@pytest.mark.parametrize("pattern", ["(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"])
def test_patterns_re2_cannot_run_are_refused_by_name(pattern: str) -> None:
    with pytest.raises(ParseError) as refused:
        prepare(pattern, "")
    assert refused.value.code == 102
    assert "linear-time engine" in refused.value.message


def test_catastrophic_patterns_run_in_linear_time() -> None:
    """``(a+)+$`` against 27 a's and a b took Python's re seconds; RE2 answers at once."""
    pattern, flags = prepare("(a+)+$", "")
    value = "a" * 27 + "b"
    started = time.perf_counter()
    assert not search(pattern, flags, value)
    assert regexp(re2_pattern(pattern, flags), value) == 0
    assert not search(pattern, flags, "a" * 200_000 + "b")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("pattern", "flags", "value", "found"),
    [
        ("a$", "", "xa", True),
        ("a$", "", "a\n", False),  # "$" is the very end without m
        ("a$", "m", "a\nb", True),
        ("A b # a comment\n c", "ix", "xabc", True),  # verbose: spaces and comments dropped
        ("[ ]x", "x", " x", True),  # …but not inside a class
        ("a{,2}c", "", "aac", True),
        ("^\\Qa.b\\E", "", "a.b", True),
        ("^\\Qa.b\\E", "", "axb", False),
    ],
)
def test_re2_spelling_keeps_the_meaning(pattern: str, flags: str, value: str, found: bool) -> None:
    assert search(*prepare(pattern, flags), value) is found
