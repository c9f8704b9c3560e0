"""eval.bound: what a suite's decision features allow at best, fitted on itself."""

from __future__ import annotations

from eval.bound import suite_bound
from eval.fit import Row
from eval.questionset import EvalQuestion


def _row(n: int, features: tuple[float, ...], *, right: bool = False, unanswerable: bool = False) -> Row:
    question = EvalQuestion(id=f"q{n}", question="", type="", unanswerable=unanswerable, answers=("-",))
    return Row("s", question, features + (0.0,) * (8 - len(features)), right, gate_ok=True)


def test_evidence_that_tells_answers_apart_reaches_every_target() -> None:
    rows = [_row(i, (0.9, 1.0), right=True) for i in range(4)] + [
        _row(10 + i, (0.1, 0.2), unanswerable=True) for i in range(4)
    ]
    bound = suite_bound(rows)
    assert bound.best_crag == 1.0
    assert (bound.right_at_best, bound.declined_at_best) == (4, 4)
    assert bound.right_at_target == 4


def test_identical_evidence_cannot_decline_the_unanswerable_without_the_answerable() -> None:
    same = (0.7, 1.0)
    rows = [_row(i, same, right=True) for i in range(3)] + [
        _row(10 + i, same, unanswerable=True) for i in range(3)
    ]
    bound = suite_bound(rows)
    assert bound.right_at_target == 0  # declining the unanswerable ones declines every answerable one
    assert bound.best_crag == 0.5  # declining everything: +3 for the unanswerable, 0 for the rest
    assert (bound.answerable, bound.unanswerable) == (3, 3)


def test_a_check_no_score_outweighs_still_holds_in_the_bound() -> None:
    rows = [_row(i, (0.9, 1.0), right=True) for i in range(2)]
    blocked = Row("s", rows[0].question, rows[0].features, True, gate_ok=False)
    bound = suite_bound([blocked, rows[1]])
    assert bound.right_at_best == 1
