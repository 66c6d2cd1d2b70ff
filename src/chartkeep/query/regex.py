"""``$regex``: Parse's pattern dialect → one pattern that Python ``re`` and PostgreSQL agree on.

The Parse SDKs quote literal text as ``\\Q...\\E`` (``startsWith``, ``endsWith``, ``contains``);
neither Python nor PostgreSQL understands that, so quoted runs are rewritten as escaped
literals, as Parse Server's PostgreSQL adapter does. ``$options`` letters (i, m, s, x) keep
JavaScript/Python meaning on every back end: PostgreSQL gets the matching embedded options
(its default treats newline as an ordinary character, which is Python's ``s``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from chartkeep.errors import Code, ParseError

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
    try:
        compiled(pattern, flag_text)
    except re.error as exc:
        raise ParseError(Code.INVALID_QUERY, f"Invalid regular expression: {exc}") from None
    return pattern, flag_text


def python_pattern(pattern: str, flags: str) -> str:
    return f"(?{flags}){pattern}" if flags else pattern


@lru_cache(maxsize=512)
def compiled(pattern: str, flags: str) -> re.Pattern[str]:
    return re.compile(python_pattern(pattern, flags))


def search(pattern: str, flags: str, value: str) -> bool:
    return compiled(pattern, flags).search(value) is not None


def _pg_translate(pattern: str) -> str:
    """Python escapes PostgreSQL spells differently: word boundaries ``\\b``/``\\B``."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if not in_class and nxt == "b":
                out.append("\\y")
            elif not in_class and nxt == "B":
                out.append("\\Y")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            # "]" right after "[" or "[^" is a literal member
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append("]")
                i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def pg_pattern(pattern: str, flags: str) -> str:
    """The PostgreSQL ARE with embedded options equivalent to Python's ``(?flags)pattern``."""
    multiline, dotall = "m" in flags, "s" in flags
    newline = {(False, False): "p", (True, False): "n", (False, True): "s", (True, True): "w"}[
        (multiline, dotall)
    ]
    options = newline + ("i" if "i" in flags else "") + ("x" if "x" in flags else "")
    return f"(?{options}){_pg_translate(pattern)}"
