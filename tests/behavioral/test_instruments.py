"""Scoring is exact for known answer sets, band edges included; bad items are refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from chartkeep.behavioral.instruments import INSTRUMENTS, instrument_of, score, score_data
from chartkeep.errors import ParseError

PHQ9, GAD7 = INSTRUMENTS["PHQ9"], INSTRUMENTS["GAD7"]


def answers(total: int, items: int, last: int = 0) -> list[int]:
    """``items`` answers summing to ``total``, the last one fixed to ``last``."""
    out, left = [], total - last
    for _ in range(items - 1):
        out.append(min(3, left))
        left -= out[-1]
    assert left == 0, "total out of reach"
    return [*out, last]


PHQ9_TABLE = [  # total -> band (Kroenke, Spitzer & Williams 2001)
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe"),
]
GAD7_TABLE = [  # total -> band (Spitzer et al. 2006)
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "severe"), (21, "severe"),
]


@pytest.mark.parametrize(("total", "band"), PHQ9_TABLE)
def test_phq9_bands_at_every_edge(total: int, band: str) -> None:
    last = 3 if total == 27 else 0
    got = score(PHQ9, answers(total, 9, last))
    assert (got.total, got.severity, got.crisis) == (total, band, total == 27)


@pytest.mark.parametrize(("total", "band"), GAD7_TABLE)
def test_gad7_bands_at_every_edge(total: int, band: str) -> None:
    got = score(GAD7, answers(total, 7, 3 if total == 21 else 0))
    assert (got.total, got.severity, got.crisis) == (total, band, False)


def test_known_answer_sets() -> None:
    got = score(PHQ9, [1, 2, 0, 3, 1, 0, 2, 1, 0])
    assert (got.total, got.severity, got.crisis, got.crisis_answer) == (10, "moderate", False, 0)
    got = score(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])  # minimal total, yet item 9 is positive
    assert (got.total, got.severity, got.crisis, got.crisis_answer) == (1, "minimal", True, 1)
    got = score(PHQ9, [3] * 9)
    assert (got.total, got.severity, got.crisis) == (27, "severe", True)
    got = score(GAD7, [3, 3, 3, 3, 3, 0, 0])
    assert (got.total, got.severity, got.crisis, got.crisis_answer) == (15, "severe", False, None)


def test_answers_as_an_object_keyed_by_item() -> None:
    keyed = {f"item{i}": v for i, v in enumerate([2, 2, 2, 2, 2, 2, 2, 2, 2], start=1)}
    got = score(PHQ9, keyed)
    assert (got.total, got.severity, got.crisis) == (18, "moderately severe", True)


BAD: list[tuple[Any, Any, str]] = [
    (PHQ9, [0] * 8, "PHQ-9 needs exactly 9 answers; got 8."),
    (PHQ9, [0] * 10, "PHQ-9 needs exactly 9 answers; got 10."),
    (PHQ9, [0, 0, 3.5, 0, 0, 0, 0, 0, 0], "PHQ-9 item 3 must be an integer from 0 to 3; got 3.5."),
    (PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, -1], "PHQ-9 item 9 must be an integer from 0 to 3; got -1."),
    (PHQ9, [4, 0, 0, 0, 0, 0, 0, 0, 0], "PHQ-9 item 1 must be an integer from 0 to 3; got 4."),
    (PHQ9, [0, "2", 0, 0, 0, 0, 0, 0, 0], 'PHQ-9 item 2 must be an integer from 0 to 3; got "2".'),
    (PHQ9, [0, 0, 0, True, 0, 0, 0, 0, 0], "PHQ-9 item 4 must be an integer from 0 to 3; got true."),
    (PHQ9, [0, 0, 0, 0, None, 0, 0, 0, 0], "PHQ-9 item 5 must be an integer from 0 to 3; got null."),
    (PHQ9, [0, 0, 0, 0, 0, 2.0, 0, 0, 0], "PHQ-9 item 6 must be an integer from 0 to 3; got 2.0."),
    (GAD7, [0] * 6, "GAD-7 needs exactly 7 answers; got 6."),
    (GAD7, [0, 0, 0, 0, 0, 0, 9], "GAD-7 item 7 must be an integer from 0 to 3; got 9."),
    (PHQ9, "0,0,0,0,0,0,0,0,0", "PHQ-9 answers must be a list of 9 item scores (0–3) or an object item1…item9."),
    (PHQ9, {f"item{i}": 0 for i in range(1, 9)}, "PHQ-9 answers name item1…item9 exactly; missing item9."),
    (GAD7, {**{f"item{i}": 0 for i in range(1, 8)}, "item8": 1}, "GAD-7 answers name item1…item7 exactly; unknown item8."),
]


@pytest.mark.parametrize(("inst", "given", "message"), BAD)
def test_bad_items_are_refused_by_name(inst: Any, given: Any, message: str) -> None:
    with pytest.raises(ParseError) as exc:
        score(inst, given)
    assert (exc.value.code, exc.value.message) == (142, message)


def test_instrument_names_and_free_form_data() -> None:
    for name in ("PHQ-9", "phq9", "PHQ 9", "Phq-9"):
        assert instrument_of({"instrument": name}) is PHQ9
    assert instrument_of({"instrument": "gad-7"}) is GAD7
    for data in (None, {}, {"instrument": "PCL-5", "answers": [9]}, {"instrument": 9}, ["PHQ-9"]):
        assert score_data(data, completed=True) is None  # free-form: stored as sent, not scored
    assert score_data(phq := {"instrument": "PHQ-9"}, completed=False) is None  # pending, not answered yet
    with pytest.raises(ParseError) as exc:
        score_data(phq, completed=True)
    assert exc.value.message == "A completed PHQ-9 needs its 9 answers (data.answers)."
