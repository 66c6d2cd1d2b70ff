"""``$regex``: Parse's pattern dialect → one pattern that Python ``re`` and PostgreSQL agree on.

The Parse SDKs quote literal text as ``\\Q...\\E`` (``startsWith``, ``endsWith``, ``contains``);
neither Python nor PostgreSQL understands that, so quoted runs are rewritten as escaped
literals, as Parse Server's PostgreSQL adapter does. ``$options`` letters (i, m, s, x) keep
JavaScript/Python meaning on every back end: PostgreSQL gets embedded options and a few
rewrites (``pg_pattern``); Python-only syntax PostgreSQL would reject is refused up front.

Matching done by this process (SQLite's ``REGEXP``, the LiveQuery matcher) runs on RE2
(``storage/regexp.py``), whose time is linear in the text: ``re2_pattern`` spells the pattern for
it, and a pattern RE2 cannot run (backreferences, lookaround, a program over its memory budget)
is refused with 102 on every back end, so a query means the same over REST and LiveQuery.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from chartkeep import metrics
from chartkeep.errors import Code, ParseError
from chartkeep.storage import regexp

OPTIONS_RE = re.compile(r"^[imxs]+$")
_LEADING_FLAGS = re.compile(r"^\(\?([a-zA-Z]+)\)")


def _escape_literal(text: str) -> str:
    # Escape every ASCII punctuation/space character: "\" + non-alphanumeric is that character
    # in both Python and PostgreSQL regular expressions.
    return "".join("\\" + c if (c.isascii() and not c.isalnum() and c != "_") else c for c in text)


def unquote(pattern: str) -> str:
    """Rewrite ``\\Q...\\E`` runs as escaped literals and drop stray ``\\E``."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                stop = n if end < 0 else end
                out.append(_escape_literal(pattern[i + 2 : stop]))
                i = n if end < 0 else end + 2
                continue
            if nxt == "E":
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def prepare(pattern: str, options: str) -> tuple[str, str]:
    """Validate and normalise; returns (pattern, flags) for ``ir.Regex``. Raises ParseError."""
    flags = set(options)
    pattern = unquote(pattern)
    # A leading Python-style "(?i)" is folded into the flags so every back end sees one prefix.
    m = _LEADING_FLAGS.match(pattern)
    while m:
        letters = set(m.group(1))
        if not letters <= set("imsx"):
            raise ParseError(Code.INVALID_QUERY, f"Invalid regular expression flags: {m.group(1)}")
        flags |= letters
        pattern = pattern[m.end() :]
        m = _LEADING_FLAGS.match(pattern)
    flag_text = "".join(sorted(flags))
    _check_portable(pattern)
    pattern = _portable(pattern, flag_text)
    try:
        _syntax_check(pattern, flag_text)
    except re.error as exc:
        raise ParseError(Code.INVALID_QUERY, f"Invalid regular expression: {exc}") from None
    problem = regexp.problem(re2_pattern(pattern, flag_text))
    if problem:
        metrics.refused("regex")
        raise ParseError(
            Code.INVALID_QUERY,
            f"Invalid regular expression: {problem} ($regex runs on a linear-time engine: no "
            "backreferences, lookahead, lookbehind or comments)",
        )
    return pattern, flag_text


@lru_cache(maxsize=512)
def _syntax_check(pattern: str, flags: str) -> None:
    """The syntax both PostgreSQL and Python accept (compiling never runs the pattern)."""
    re.compile(f"(?{flags}){pattern}" if flags else pattern)


@lru_cache(maxsize=512)
def re2_pattern(pattern: str, flags: str) -> str:
    """The RE2 spelling of a prepared pattern: ``\\z`` for Python's ``\\Z``, ``{0,n}`` for
    ``{,n}``, and the ``x`` option applied here (RE2 has no verbose mode)."""
    out: list[str] = []
    verbose = "x" in flags
    comment = False
    for tok, in_class in _tokens(pattern):
        if comment:
            comment = tok != "\n"
            continue
        if not in_class and verbose and tok in (" ", "\t", "\n", "\r", "\f", "\v"):
            continue
        if not in_class and verbose and tok == "#":
            comment = True
            continue
        if not in_class and tok == "\\Z":
            out.append("\\z")
        elif not in_class and tok == "," and out and out[-1] == "{":
            out.append("0,")
        else:
            out.append(tok)
    inline = "".join(f for f in flags if f != "x")
    return (f"(?{inline})" if inline else "") + "".join(out)


def search(pattern: str, flags: str, value: str) -> bool:
    """Whether a prepared pattern matches ``value``, in time linear in ``value``."""
    return regexp.search(re2_pattern(pattern, flags), value)


def _tokens(pattern: str) -> Iterator[tuple[str, bool]]:
    """Split into atoms (``\\x`` escapes or single characters), each with "inside [...]"."""
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            yield pattern[i : i + 2], in_class
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            yield c, False
            i += 1
            # "^" then "]" right after "[" are members, not the end of the class
            for lead in ("^", "]"):
                if pattern[i : i + 1] == lead:
                    yield lead, True
                    i += 1
            continue
        if c == "]" and in_class:
            in_class = False
            yield c, False
        else:
            yield c, in_class
        i += 1


_SCOPED_FLAGS = re.compile(r"^(?:[a-zA-Z]+(?:-[a-zA-Z]*)?|-[a-zA-Z]+):")


def _check_portable(pattern: str) -> None:
    """Refuse Python-only syntax PostgreSQL rejects or reads differently, rather than disagree."""
    tokens = list(_tokens(pattern))
    for k, (tok, in_class) in enumerate(tokens):
        nxt = tokens[k + 1][0] if k + 1 < len(tokens) else ""
        bad = None
        if in_class and tok == "[" and nxt in (":", "=", "."):
            bad = "POSIX character classes"
        elif not in_class and tok == "(" and nxt == "?":
            after = "".join(t for t, _ in tokens[k + 2 : k + 14])
            if after.startswith(("P", ">", "(")) or _SCOPED_FLAGS.match(after):
                bad = "this group syntax"
        elif not in_class and tok in ("*", "+", "?", "}") and nxt == "+":
            bad = "possessive quantifiers"
        elif tok == "\\N":
            bad = "named characters"
        if bad:
            raise ParseError(Code.INVALID_QUERY, f"Invalid regular expression: {bad} are not supported")


def _portable(pattern: str, flags: str) -> str:
    """One meaning everywhere: without ``m``, ``$`` is the very end (PostgreSQL's reading)."""
    if "m" in flags:
        return pattern
    return "".join("\\Z" if (t == "$" and not c) else t for t, c in _tokens(pattern))


def _pg_translate(pattern: str, dotall: bool) -> str:
    """Python spellings PostgreSQL writes differently: ``\\b``/``\\B``, ``{,n}``, and ``.``.

    PostgreSQL has no mode where ``.`` stops at a newline but ``[^x]`` does not (Python's
    default), so newline-insensitive matching is used and ``.`` becomes ``[^\\n]``.
    """
    out: list[str] = []
    for tok, in_class in _tokens(pattern):
        if not in_class and tok == "\\b":
            out.append("\\y")
        elif not in_class and tok == "\\B":
            out.append("\\Y")
        elif not in_class and tok == "," and out and out[-1] == "{":
            out.append("0,")
        elif not in_class and tok == "." and not dotall:
            out.append("[^\\n]")
        else:
            out.append(tok)
    return "".join(out)


def pg_pattern(pattern: str, flags: str) -> str:
    """The PostgreSQL ARE with embedded options equivalent to Python's ``(?flags)pattern``.

    ``w`` (``^``/``$`` at line breaks) stands for Python's ``m``; ``s`` otherwise.
    """
    options = ("w" if "m" in flags else "s") + ("i" if "i" in flags else "") + ("x" if "x" in flags else "")
    return f"(?{options}){_pg_translate(pattern, 's' in flags)}"
