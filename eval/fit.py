"""Fit the answering engine's decision model over every eval suite, with cross-validation.

    python -m eval.fit [--folds 5] [--c 1.0] [--write] [--bound]

For every question of every suite it runs the engine's own pipeline (Query → retrieve → rank → evidence) on
a fresh index of that suite's corpus, records the evidence features and whether the answer the engine would
give is right, then fits a logistic model (L2, plain NumPy) and the answer threshold that maximises the mean
CRAG score over the suites (each suite weighs the same, so the biggest one cannot dominate). It reports the
cross-validated figures per suite — each question scored by a model fitted without its fold — and with
``--write`` stores the model fitted on everything in ``retrieval/answering/params.json``.

The ``time`` suite is scored but not fitted on by default: its unanswerable questions are declined by their
date window before the decision model sees them, so the rows it would add are nearly all answerable and would
teach the model to answer (each suite weighs the same). ``--suite time`` still takes it in.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from eval.metrics import is_correct
from eval.questionset import EvalQuestion, load_questions
from eval.suites import builtin_suites

if TYPE_CHECKING:
    from retrieval.answering import AnswerEngine

# + for evidence that the passage answers, − for evidence against (in the order of Evidence.vector()).
SIGNS = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0])
NOT_FITTED = ("time",)  # see the module's docstring
CLOSEST_BAND = 0.85  # hand-set: just under the answer threshold, the closest passage is offered as such
SUITES: dict[str, tuple[Path, tuple[Path, ...]]] = {
    name: (suite.questions, suite.corpus) for name, suite in builtin_suites().items()
}


@dataclass(frozen=True)
class Row:
    """One question's evidence features and whether answering it would be right."""

    suite: str
    question: EvalQuestion
    features: tuple[float, ...]
    right: bool  # answerable, and the composed answer holds the expected text
    gate_ok: bool  # the checks no score outweighs (head noun named, subject kept) pass


class SuiteEngines:
    """One engine per corpus, each over a fresh index in ``scratch`` (suites sharing a corpus share it)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self._engines: dict[tuple[Path, ...], AnswerEngine] = {}

    def over(self, corpus: tuple[Path, ...]) -> AnswerEngine:
        """The engine over ``corpus``, indexed on first use."""
        from retrieval import Settings, open_index
        from retrieval.answering import AnswerEngine

        if corpus not in self._engines:
            settings = Settings(data_dir=self.scratch, collection=f"fit-{uuid.uuid4().hex[:10]}")
            index = open_index(settings)
            index.add(list(corpus))
            self._engines[corpus] = AnswerEngine(index, settings)
        return self._engines[corpus]


def collect(suites: Sequence[str]) -> list[Row]:
    """Run the pipeline on every question of ``suites`` and record its features."""
    from retrieval.answering import Decision
    from retrieval.answering.decide import checks_hold

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newsbot-fit-") as scratch:
        engines = SuiteEngines(Path(scratch))
        for suite in suites:
            questions_file, corpus = SUITES[suite]
            engine = engines.over(corpus)
            for question in load_questions(questions_file):
                query = engine.query(question.question, asked_on=question.asked_on)
                hits = engine.retrieve(query)
                evidence = engine.evidence(query, hits)
                if evidence.best is None:
                    continue
                draft = engine.composers[-1].compose(query, evidence, Decision.ANSWER, 1.0)
                right = not question.unanswerable and is_correct(
                    draft.text, False, question.answers, question.answers_all, False
                )
                gate_ok = checks_hold(query, evidence, engine.pool, engine.params)
                rows.append(Row(suite, question, tuple(evidence.vector()), right, gate_ok))
    return rows


def load_rows(path: Path) -> list[Row]:
    """Rows written by ``--dump`` (the question keeps its id and whether it is answerable)."""
    rows = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        question = EvalQuestion(
            id=item["id"], question="", type="", unanswerable=item["unanswerable"], answers=("-",)
        )
        rows.append(Row(item["suite"], question, tuple(item["features"]), item["right"], item["gate_ok"]))
    return rows


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float, steps: int = 4000
) -> tuple[np.ndarray, float]:
    """L2-regularised, sample-weighted logistic regression by gradient descent (features are few and small).

    Each coefficient keeps the sign its feature's meaning gives it (:data:`SIGNS`): more coverage never
    lowers confidence, a missing name never raises it, whatever the correlations of one data set.
    """
    w = np.zeros(x.shape[1])
    b = 0.0
    rate = 0.5
    weight = weight / weight.sum()
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        grad_w = x.T @ (weight * (p - y)) + w / (c * len(y))
        grad_b = float(np.sum(weight * (p - y)))
        w -= rate * grad_w
        b -= rate * grad_b
        w = SIGNS * np.maximum(0.0, SIGNS * w)
    return w, b


def crag(rows: Sequence[Row], answers: Sequence[bool]) -> float:
    """Mean CRAG-style score: +1 right, 0 declined, −1 wrong; unanswerable: +1 declined, −1 answered."""
    total = 0
    for row, answered in zip(rows, answers, strict=True):
        if row.question.unanswerable:
            total += -1 if answered else 1
        elif answered:
            total += 1 if row.right else -1
    return total / len(rows) if rows else 0.0


def scores(rows: Sequence[Row], w: np.ndarray, b: float) -> list[float]:
    """Each row's confidence under the model ``w``, ``b``."""
    return [1 / (1 + math.exp(-(float(np.dot(w, r.features)) + b))) for r in rows]


def best_threshold(rows: Sequence[Row], confidences: Sequence[float]) -> float:
    """The answer threshold that maximises the mean over suites of the CRAG score."""
    suites = sorted({r.suite for r in rows})
    best, best_value = 0.5, -math.inf
    for threshold in np.arange(0.2, 0.91, 0.02):
        values = []
        for suite in suites:
            pairs = [(r, s) for r, s in zip(rows, confidences, strict=True) if r.suite == suite]
            values.append(crag([r for r, _ in pairs], [s >= threshold and r.gate_ok for r, s in pairs]))
        value = float(np.mean(values))
        if value > best_value + 1e-9:
            best, best_value = float(threshold), value
    return round(best, 2)


def outcome(rows: Sequence[Row], answered: Sequence[bool]) -> tuple[float, int, int]:
    """CRAG, answerable questions answered right, and unanswerable ones declined."""
    pairs = list(zip(rows, answered, strict=True))
    right = sum(1 for r, a in pairs if a and r.right and not r.question.unanswerable)
    declined = sum(1 for r, a in pairs if not a and r.question.unanswerable)
    return crag(rows, answered), right, declined


def report(rows: Sequence[Row], answered: Sequence[bool], title: str) -> None:
    """Per suite: answerable right, unanswerable declined, CRAG."""
    print(title)
    for suite in sorted({r.suite for r in rows}):
        pairs = [(r, a) for r, a in zip(rows, answered, strict=True) if r.suite == suite]
        suite_rows = [r for r, _ in pairs]
        score, right, declined = outcome(suite_rows, [a for _, a in pairs])
        answerable = sum(1 for r in suite_rows if not r.question.unanswerable)
        ceiling = sum(1 for r in suite_rows if r.right and not r.question.unanswerable)
        print(
            f"  {suite:14} answerable right {right}/{answerable} (ceiling {ceiling}), "
            f"unanswerable declined {declined}/{len(suite_rows) - answerable}, CRAG {score:+.3f}"
        )


def main() -> None:
    """Collect features, cross-validate, and optionally write the fitted params."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--suite", action="append", choices=sorted(SUITES), help=f"default: all but {', '.join(NOT_FITTED)}"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=float, default=10.0, help="inverse regularisation strength")
    parser.add_argument("--write", action="store_true", help="store the model in params.json")
    parser.add_argument("--dump", type=Path, help="also write every question's features here (JSON)")
    parser.add_argument("--rows", type=Path, help="fit on features dumped by an earlier --dump run")
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also report what each suite's features allow at best (eval.bound)",
    )
    args = parser.parse_args()
    from retrieval.answering.params import PARAMS_FILE, load_params

    rows = (
        load_rows(args.rows)
        if args.rows
        else collect(args.suite or [s for s in SUITES if SUITES[s][0].exists() and s not in NOT_FITTED])
    )
    if args.dump:
        args.dump.write_text(
            json.dumps(
                [
                    {
                        "suite": r.suite,
                        "id": r.question.id,
                        "unanswerable": r.question.unanswerable,
                        "right": r.right,
                        "gate_ok": r.gate_ok,
                        "features": r.features,
                    }
                    for r in rows
                ]
            )
        )
    if args.bound:
        from eval.bound import report_bounds

        report_bounds(rows)
    x = np.array([r.features for r in rows])
    y = np.array([float(r.right) for r in rows])
    sizes = {s: sum(1 for r in rows if r.suite == s) for s in {r.suite for r in rows}}
    weight = np.array([1.0 / sizes[r.suite] for r in rows])  # every suite weighs the same
    rng = np.random.default_rng(0)
    folds = rng.permutation(len(rows)) % args.folds
    held_out: list[bool] = [False] * len(rows)
    for fold in range(args.folds):
        train = folds != fold
        w, b = fit_logistic(x[train], y[train], weight[train], args.c)
        train_rows = [r for r, t in zip(rows, train, strict=True) if t]
        threshold = best_threshold(train_rows, scores(train_rows, w, b))
        for i in np.flatnonzero(~train):
            held_out[i] = scores([rows[i]], w, b)[0] >= threshold and rows[i].gate_ok
    report(
        rows,
        held_out,
        f"cross-validated ({args.folds} folds; each question scored by a model fit without it):",
    )
    w, b = fit_logistic(x, y, weight, args.c)
    threshold = best_threshold(rows, scores(rows, w, b))
    fitted = [s >= threshold and r.gate_ok for r, s in zip(rows, scores(rows, w, b), strict=True)]
    report(rows, fitted, f"fitted on everything (threshold {threshold}):")
    params = replace(
        load_params(),
        coefficients=tuple(round(float(v), 3) for v in w),
        intercept=round(b, 3),
        answer_threshold=threshold,
        closest_threshold=round(threshold * CLOSEST_BAND, 2),
    )
    print("coefficients", params.coefficients, "intercept", params.intercept)
    if args.write:
        PARAMS_FILE.write_text(json.dumps(params.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {PARAMS_FILE}")


if __name__ == "__main__":
    main()
