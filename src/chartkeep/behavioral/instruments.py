"""Standard screening instruments the server scores: PHQ-9 (depression) and GAD-7 (anxiety).

Pure functions, no I/O. An ``IntakeAssessment.data`` of ``{"instrument": "PHQ-9", "answers":
[...]}`` is scored: every item an integer 0–3 (no floats, booleans, strings or nulls), exactly
the instrument's item count; the answers may also be an object ``{"item1": …, "item9": …}``.
The total is the sum; the severity band is the published one (Kroenke 2001, Spitzer 2006).
PHQ-9 item 9 ("thoughts that you would be better off dead, or of hurting yourself") above 0 is
a positive self-harm screen: the crisis flag. Anything else in ``data`` is free-form, not scored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chartkeep.errors import Code, ParseError


@dataclass(frozen=True)
class Instrument:
    name: str  # as shown: "PHQ-9"
    items: int
    bands: tuple[tuple[int, str], ...]  # (lowest total of the band, band name), ascending
    crisis_item: int | None = None  # 1-based item whose answer above 0 raises the crisis flag


INSTRUMENTS = {
    "PHQ9": Instrument("PHQ-9", 9, ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"),
                                   (20, "severe")), crisis_item=9),
    "GAD7": Instrument("GAD-7", 7, ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))),
}
LOW, HIGH = 0, 3


@dataclass(frozen=True)
class Score:
    instrument: Instrument
    answers: tuple[int, ...]
    total: int
    severity: str
    crisis: bool

    @property
    def crisis_answer(self) -> int | None:
        item = self.instrument.crisis_item
        return None if item is None else self.answers[item - 1]


def instrument_of(data: Any) -> Instrument | None:
    """The scored instrument ``data`` names ("PHQ-9", "phq9", "PHQ 9"…), or None (free-form)."""
    if not isinstance(data, dict) or not isinstance(data.get("instrument"), str):
        return None
    return INSTRUMENTS.get(re.sub(r"[^A-Z0-9]", "", data["instrument"].upper()))


def _refuse(message: str) -> ParseError:
    return ParseError(Code.VALIDATION_ERROR, message)


def _shown(value: Any) -> str:
    return json.dumps(value)


def _item(inst: Instrument, number: int, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not LOW <= value <= HIGH:
        raise _refuse(f"{inst.name} item {number} must be an integer from {LOW} to {HIGH}; got {_shown(value)}.")
    return value


def _answer_list(inst: Instrument, answers: Any) -> list[Any]:
    if isinstance(answers, list):
        if len(answers) != inst.items:
            raise _refuse(f"{inst.name} needs exactly {inst.items} answers; got {len(answers)}.")
        return answers
    if isinstance(answers, dict):
        names = [f"item{i}" for i in range(1, inst.items + 1)]
        missing = [n for n in names if n not in answers]
        unknown = sorted(k for k in answers if k not in names)
        if missing or unknown:
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                    ([f"unknown {', '.join(unknown)}"] if unknown else [])
            raise _refuse(f"{inst.name} answers name item1…item{inst.items} exactly; {'; '.join(parts)}.")
        return [answers[n] for n in names]
    raise _refuse(f"{inst.name} answers must be a list of {inst.items} item scores ({LOW}–{HIGH}) "
                  f"or an object item1…item{inst.items}.")


def score(inst: Instrument, answers: Any) -> Score:
    """Validate and score; a ``ParseError`` 142 names the first bad item."""
    values = tuple(_item(inst, i, v) for i, v in enumerate(_answer_list(inst, answers), start=1))
    total = sum(values)
    severity = [name for low, name in inst.bands if total >= low][-1]
    crisis = inst.crisis_item is not None and values[inst.crisis_item - 1] > 0
    return Score(inst, values, total, severity, crisis)


def score_data(data: Any, completed: bool) -> Score | None:
    """The score of an assessment's ``data``: None when free-form or (while pending) not yet
    answered. A completed assessment of a scored instrument must carry its answers."""
    inst = instrument_of(data)
    if inst is None:
        return None
    assert isinstance(data, dict)
    if data.get("answers") is None:
        if completed:
            raise _refuse(f"A completed {inst.name} needs its {inst.items} answers (data.answers).")
        return None
    return score(inst, data["answers"])
