"""FHIR search parameters → Parse ``where`` clauses.

A search is compiled into the ``where`` JSON of the Parse API and handed to the same read use case
(``records.reads.find``): the same parser and query IR, the caller's read guard inside the SQL,
the same ledger entries. Nothing is filtered after fetching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chartkeep.fhir.outcome import invalid, not_supported
from chartkeep.fhir.values import parse_date, parse_patient, parse_reference, pointer

Clause = dict[str, Any]
# (value, modifier) → a Parse where clause; ``NOTHING`` when no row can match
Compile = Callable[[str, str | None], Clause]
NOTHING: Clause = {"objectId": {"$in": []}}


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # the FHIR search parameter type, for the CapabilityStatement
    compile: Compile
    documentation: str


def _no_modifier(name: str, modifier: str | None) -> None:
    if modifier is not None:
        raise not_supported(f"The modifier :{modifier} is not supported on {name}")


def split(value: str) -> list[str]:
    """Comma-separated alternatives (OR); ``\\,`` is a literal comma."""
    parts = [p.replace("\\,", ",") for p in re.split(r"(?<!\\),", value)]
    if any(not p for p in parts):
        raise invalid(f"Empty value in {value!r}")
    return parts


def any_of(field: str, values: list[Any]) -> Clause:
    return {field: values[0]} if len(values) == 1 else {field: {"$in": values}}


# ---- dates ---------------------------------------------------------------------------------------

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<f>\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
_PREFIXES = ("eq", "lt", "le", "gt", "ge")
_UNSUPPORTED_PREFIXES = ("ne", "sa", "eb", "ap")


def _fmt(moment: datetime) -> dict[str, str]:
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return parse_date(text)


def date_range(text: str) -> tuple[datetime, datetime]:
    """The instants a FHIR date value covers, [low, high), at its precision; no zone means UTC."""
    found = _DATE_RE.match(text)
    if not found:
        raise invalid(f"Invalid date {text!r}: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]")
    g = found.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            low = datetime(year, 1, 1, tzinfo=UTC)
            return low, datetime(year + 1, 1, 1, tzinfo=UTC)
        month = int(g["m"])
        if g["d"] is None:
            low = datetime(year, month, 1, tzinfo=UTC)
            return low, datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
        day = datetime(year, month, int(g["d"]), tzinfo=UTC)
        if g["H"] is None:
            return day, day + timedelta(days=1)
        zone = g["tz"]
        offset = timedelta(0)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        low = day.replace(hour=int(g["H"]), minute=int(g["M"])) - offset
        if g["S"] is None:
            return low, low + timedelta(minutes=1)
        low = low.replace(second=int(g["S"]))
        if g["f"] is None:
            return low, low + timedelta(seconds=1)
        ms = int((g["f"][1:] + "00")[:3])
        low = low.replace(microsecond=ms * 1000)
        return low, low + timedelta(milliseconds=1)
    except ValueError:
        raise invalid(f"Invalid date {text!r}") from None


def date_clause(field: str, value: str) -> Clause:
    prefix = value[:2]
    if prefix in _UNSUPPORTED_PREFIXES:
        raise not_supported(f"The date prefix {prefix} is not supported (eq, lt, le, gt, ge are)")
    if prefix in _PREFIXES:
        value = value[2:]
    else:
        prefix = "eq"
    low, high = date_range(value)
    if prefix == "eq":
        return {field: {"$gte": _fmt(low), "$lt": _fmt(high)}}
    if prefix == "lt":
        return {field: {"$lt": _fmt(low)}}
    if prefix == "le":
        return {field: {"$lt": _fmt(high)}}
    if prefix == "gt":
        return {field: {"$gte": _fmt(high)}}
    return {field: {"$gte": _fmt(low)}}


def date_param(name: str, field: str, documentation: str) -> Param:
    def compile_(value: str, modifier: str | None) -> Clause:
        _no_modifier(name, modifier)
        clauses = [date_clause(field, v) for v in split(value)]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    return Param(name, "date", compile_, documentation)


# ---- tokens, strings, references -----------------------------------------------------------------


def token_param(name: str, field: str, documentation: str, codes: Mapping[str, tuple[Any, ...]] | None = None,
                system: str | None = None) -> Param:
    """``code``, ``system|code`` or ``|code``; ``codes`` maps a FHIR code to the stored values."""

    def compile_(value: str, modifier: str | None) -> Clause:
        _no_modifier(name, modifier)
        stored: list[Any] = []
        for alternative in split(value):
            sys_, bar, code = alternative.rpartition("|")
            if bar and sys_ and system is not None and sys_ != system:
                continue  # another system's code matches nothing here
            if codes is None:
                stored.append(code)
            elif code in codes:
                stored.extend(codes[code])
            else:
                raise invalid(f"Unknown {name} code {code!r}: one of {', '.join(codes)}")
        return any_of(field, stored) if stored else NOTHING

    return Param(name, "token", compile_, documentation)


def string_param(name: str, fields: tuple[str, ...], documentation: str) -> Param:
    """FHIR string search: a word of the field starts with the value, ignoring case; ``:exact``
    equals it; ``:contains`` contains it."""

    def compile_(value: str, modifier: str | None) -> Clause:
        if modifier not in (None, "exact", "contains"):
            raise not_supported(f"The modifier :{modifier} is not supported on {name}")
        alternatives: list[Clause] = []
        for text in split(value):
            for field in fields:
                if modifier == "exact":
                    alternatives.append({field: text})
                elif modifier == "contains":
                    alternatives.append({field: {"$regex": re.escape(text), "$options": "i"}})
                else:
                    alternatives.append({field: {"$regex": rf"(^|\s){re.escape(text)}", "$options": "i"}})
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}

    return Param(name, "string", compile_, documentation)


def patient_param(name: str, field: str, root: str, documentation: str) -> Param:
    """``patient=Patient/abc`` (or ``abc``) on a record whose ``field`` points at its chart root."""

    def compile_(value: str, modifier: str | None) -> Clause:
        if modifier not in (None, "Patient"):
            raise not_supported(f"The modifier :{modifier} is not supported on {name}")
        ids: list[Any] = []
        for ref in split(value):
            ref_root, object_id = parse_patient(parse_reference(ref, "Patient"))
            if ref_root == root:
                ids.append(object_id if field == "objectId" else pointer(root, object_id))
        return any_of(field, ids) if ids else NOTHING

    return Param(name, "reference", compile_, documentation)


def user_param(name: str, fields: tuple[str, ...], documentation: str) -> Param:
    """``practitioner=Practitioner/xyz`` on a record pointing at a ``_User``."""

    def compile_(value: str, modifier: str | None) -> Clause:
        if modifier not in (None, "Practitioner"):
            raise not_supported(f"The modifier :{modifier} is not supported on {name}")
        users = [pointer("_User", parse_reference(ref, "Practitioner")) for ref in split(value)]
        alternatives = [any_of(field, users) for field in fields]
        return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}

    return Param(name, "reference", compile_, documentation)


def ids_compile(object_id: Callable[[str], str | None]) -> Compile:
    """``_id``: the FHIR ids that name rows of one source (``object_id`` maps one to its objectId, None
    when it names another source's row)."""

    def compile_(value: str, modifier: str | None) -> Clause:
        _no_modifier("_id", modifier)
        ids = [oid for oid in (object_id(v) for v in split(value)) if oid]
        return any_of("objectId", ids) if ids else NOTHING

    return compile_


# ---- a resource's parameters as a table ----------------------------------------------------------

Names = str | tuple[str, ...]  # one row may declare several names alike (``patient`` and ``subject``)
Target = str | tuple[str, ...] | Compile
Row = tuple[Names, str, Target, str] | tuple[Names, str, Target, str, Mapping[str, Any]]


def table(*rows: Row, root: str | None = None) -> tuple[Param, ...]:
    """A source's search parameters, declared as rows ``(name(s), kind, target, documentation[, options])``:

    ============  ==============================================  =====================
    kind          target                                          options
    ============  ==============================================  =====================
    ``patient``   the field pointing at the chart root ``root``   –
    ``user``      the ``_User`` pointer fields (a tuple)          –
    ``date``      the Date field                                  –
    ``token``     the stored field                                ``codes``, ``system``
    ``string``    the text fields (a tuple)                       –
    a FHIR type   a compile function of its own                   –
    ============  ==============================================  =====================
    """
    out: list[Param] = []
    for row in rows:
        names, kind, target, documentation = row[0], row[1], row[2], row[3]
        options: Mapping[str, Any] = row[4] if len(row) == 5 else {}
        for name in (names,) if isinstance(names, str) else names:
            out.append(_declared(name, kind, target, documentation, options, root))
    return tuple(out)


def _declared(name: str, kind: str, target: Target, documentation: str, options: Mapping[str, Any],
              root: str | None) -> Param:
    if callable(target):
        return Param(name, kind, target, documentation)
    if kind == "token" and isinstance(target, str):
        return token_param(name, target, documentation, codes=options.get("codes"), system=options.get("system"))
    if kind == "date" and isinstance(target, str):
        return date_param(name, target, documentation)
    if kind == "string" and isinstance(target, tuple):
        return string_param(name, target, documentation)
    if kind == "user" and isinstance(target, tuple):
        return user_param(name, target, documentation)
    if kind == "patient" and isinstance(target, str) and root is not None:
        return patient_param(name, target, root, documentation)
    raise TypeError(f"search parameter {name!r}: no {kind!r} parameter on {target!r} (root {root!r})")
