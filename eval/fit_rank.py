"""Fit the ranking weights of the answering engine over every eval suite, with cross-validation.

    python -m eval.fit_rank [--folds 5] [--write]

For every answerable question of every suite it runs the engine's own pipeline up to ranking, with a wide
shortlist, and records each candidate sentence's features and whether it holds an expected answer. A grid
search then picks the weights whose top-ranked sentence holds the answer for the largest share of questions,
averaged over suites (each suite weighs the same). It reports that share per suite, cross-validated (each
fold's questions ranked by weights chosen without them), and with ``--write`` stores the weights chosen on
everything in ``retrieval/answering/params.json``. Run ``python -m eval.fit`` afterwards: the decision model
is fitted on the ranking these weights produce.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.fit import SUITES, SuiteEngines
from eval.metrics import matches_expected
from eval.questionset import load_questions

WIDE_SHORTLIST = 24
GRID = {
    "w_dense": (0.3, 0.45, 0.6),
    "w_lexical": (0.2, 0.35, 0.5),
    "w_context": (0.0, 0.1, 0.2, 0.35),
    "w_type": (0.1, 0.2, 0.3, 0.45),
    "w_rank": (0.0, 0.05, 0.1),
    "w_conflict": (0.1, 0.3, 0.5),
    "w_missing": (0.0, 0.1, 0.2, 0.4),
    "w_recent": (0.0, 0.1, 0.2, 0.4),
}


@dataclass(frozen=True)
class Ranked:
    """One question's candidates: features (dense, lexical, context, typed, 1/rank, conflict, missing, recent)
    and labels."""

    suite: str
    features: np.ndarray  # candidates × 8 (the order of GRID)
    holds: np.ndarray  # candidates: the sentence holds an expected answer


def collect() -> list[Ranked]:
    """Rank every answerable question's candidates with a wide shortlist."""
    from retrieval.answering.rank import rank

    found: list[Ranked] = []
    with tempfile.TemporaryDirectory(prefix="newsbot-fit-rank-") as scratch:
        engines = SuiteEngines(Path(scratch))
        for suite, (questions_file, corpus) in SUITES.items():
            if not questions_file.exists():
                continue
            engine = engines.over(corpus)
            wide = replace(engine.params, embedded_candidates=WIDE_SHORTLIST)
            for question in load_questions(questions_file):
                if question.unanswerable:
                    continue
                query = engine.query(question.question, asked_on=question.asked_on)
                candidates = rank(query, engine.retrieve(query), engine.pool, wide)
                if not candidates:
                    continue
                features = np.array(
                    [
                        [
                            c.dense,
                            c.lexical,
                            c.context,
                            c.typed,
                            1 / c.sentence.hit_rank,
                            float(c.conflict),
                            c.missing,
                            c.recent,
                        ]
                        for c in candidates
                    ]
                )
                holds = np.array(
                    [
                        matches_expected(c.sentence.text, question.answers, question.answers_all)
                        for c in candidates
                    ]
                )
                found.append(Ranked(suite, features, holds))
    return found


def _signs() -> np.ndarray:
    return np.array([1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 1.0])


def hit_share(rows: list[Ranked], weights: np.ndarray) -> float:
    """Mean over suites of the share of questions whose top-ranked sentence holds the answer."""
    by_suite: dict[str, list[bool]] = {}
    for row in rows:
        top = int(np.argmax(row.features @ (weights * _signs())))
        by_suite.setdefault(row.suite, []).append(bool(row.holds[top]))
    return float(np.mean([np.mean(v) for v in by_suite.values()])) if by_suite else 0.0


def best_weights(rows: list[Ranked]) -> tuple[np.ndarray, float]:
    """The grid point with the highest :func:`hit_share` (ties keep the earlier, smaller weights).

    Every grid point is scored at once: one matrix product per question gives each point's top sentence.
    """
    grid = np.array(list(itertools.product(*GRID.values()))) * _signs()
    suites = sorted({row.suite for row in rows})
    hits = {suite: np.zeros(len(grid)) for suite in suites}
    counts = dict.fromkeys(suites, 0)
    for row in rows:
        top = np.argmax(row.features @ grid.T, axis=0)  # per grid point, the first best candidate
        hits[row.suite] += row.holds[top]
        counts[row.suite] += 1
    if not rows:
        return np.zeros(len(GRID)), 0.0
    share = np.mean([hits[s] / counts[s] for s in suites], axis=0)
    best = int(np.argmax(share > share.max() - 1e-9))  # the earliest point within rounding of the best
    return grid[best] * _signs(), float(share[best])


def main() -> None:
    """Collect, cross-validate, and optionally write the chosen weights."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="store the weights in params.json")
    args = parser.parse_args()
    from retrieval.answering.params import PARAMS_FILE, Params, load_params

    rows = collect()
    current = load_params()
    now = np.array([getattr(current, name) for name in GRID])
    folds = np.random.default_rng(0).permutation(len(rows)) % args.folds
    held: list[Ranked] = []
    chosen: list[Ranked] = []
    for fold in range(args.folds):
        train = [r for r, f in zip(rows, folds, strict=True) if f != fold]
        test = [r for r, f in zip(rows, folds, strict=True) if f == fold]
        weights, _ = best_weights(train)
        held.extend(test)
        for row in test:
            top = int(np.argmax(row.features @ (weights * _signs())))
            chosen.append(Ranked(row.suite, row.features[top : top + 1], row.holds[top : top + 1]))
    for suite in sorted({r.suite for r in rows}):
        cv = [bool(r.holds[0]) for r in chosen if r.suite == suite]
        base = [r for r in rows if r.suite == suite]
        ceiling = sum(bool(r.holds.any()) for r in base)
        print(
            f"  {suite:14} top sentence holds the answer: now {hit_share(base, now):.3f}, "
            f"cross-validated {np.mean(cv):.3f} (ceiling {ceiling}/{len(base)})"
        )
    weights, value = best_weights(rows)
    print("chosen on everything:", dict(zip(GRID, weights.tolist(), strict=True)), f"mean share {value:.3f}")
    if args.write:
        chosen_weights = {k: float(v) for k, v in zip(GRID, weights, strict=True)}
        params = Params.from_dict({**current.to_dict(), **chosen_weights})
        PARAMS_FILE.write_text(json.dumps(params.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {PARAMS_FILE}")


if __name__ == "__main__":
    main()
