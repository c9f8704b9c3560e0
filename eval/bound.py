"""How far the decision features can go on one suite: an upper bound, not a figure to report as reached.

    python -m eval.fit --bound            (or --rows dumped.json --bound)

For each suite the decision model is fitted on that suite alone and scored on the same questions, at every
threshold and over a range of regularisation strengths: in-sample, so as optimistic as these features can
be. When even that stays under a target, no tuning of the numbers reaches it; a new kind of evidence is
needed. It reports the best CRAG score and, at the target share of unanswerable questions declined, the
most answerable questions answered right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.fit import Row, fit_logistic, outcome, scores

STRENGTHS = (1.0, 3.0, 10.0, 30.0, 100.0, 1000.0)  # inverse regularisation strengths tried
DECLINE_TARGET = 0.8  # issue 9: unanswerable declined >= 80 %


@dataclass(frozen=True)
class Bound:
    """The best one suite's features allow, fitted on itself."""

    suite: str
    answerable: int
    unanswerable: int
    best_crag: float
    right_at_best: int  # answerable answered right at the best CRAG
    declined_at_best: int  # unanswerable declined at the best CRAG
    right_at_target: int | None  # most answerable right with >= DECLINE_TARGET declined; None if never


def suite_bound(rows: Sequence[Row]) -> Bound:
    """The in-sample best of one suite's ``rows`` (the checks no score outweighs still apply)."""
    x = np.array([r.features for r in rows])
    y = np.array([float(r.right) for r in rows])
    unanswerable = sum(1 for r in rows if r.question.unanswerable)
    best: tuple[float, int, int] = (-1.0, 0, 0)
    at_target: int | None = None
    for strength in STRENGTHS:
        w, b = fit_logistic(x, y, np.ones(len(rows)), strength)
        confidences = scores(rows, w, b)
        for threshold in [*sorted(set(confidences)), np.inf]:
            answered = [s >= threshold and r.gate_ok for r, s in zip(rows, confidences, strict=True)]
            result = outcome(rows, answered)
            best = max(best, result)
            if result[2] >= DECLINE_TARGET * unanswerable:
                at_target = max(at_target or 0, result[1])
    return Bound(
        suite=rows[0].suite,
        answerable=len(rows) - unanswerable,
        unanswerable=unanswerable,
        best_crag=best[0],
        right_at_best=best[1],
        declined_at_best=best[2],
        right_at_target=at_target,
    )


def report_bounds(rows: Sequence[Row]) -> None:
    """Print each suite's bound."""
    print("upper bound (each suite fitted on itself and scored in-sample; questions with evidence):")
    for suite in sorted({r.suite for r in rows}):
        bound = suite_bound([r for r in rows if r.suite == suite])
        target = (
            f"{bound.right_at_target}/{bound.answerable}" if bound.right_at_target is not None else "never"
        )
        print(
            f"  {suite:14} best CRAG {bound.best_crag:+.3f} (answerable right {bound.right_at_best}/"
            f"{bound.answerable}, unanswerable declined {bound.declined_at_best}/{bound.unanswerable}); "
            f"declining >= {DECLINE_TARGET:.0%} of unanswerable leaves answerable right at most {target}"
        )
