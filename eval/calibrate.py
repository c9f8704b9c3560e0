"""Refit the answer-or-abstain model (``retrieval/confidence.py``) on a question set.

    python -m eval.calibrate [--questions eval/questions.jsonl] [--check eval/heldout.jsonl] [--c 3]

For every question it runs the extractive engine's ranking on a fresh index of ``seeds/``, takes the
evidence of the best sentence, labels it 1 when the sentence answers the question correctly and 0 when the
question is unanswerable or the sentence is wrong, fits a logistic regression, and prints the coefficients
to paste into ``confidence.py`` with accuracy and abstention figures at a few thresholds — on the fitting
set and on the check set it never saw. ``unknown`` is left out of the fit (see ``confidence.py``).
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from eval.metrics import is_correct
from eval.questionset import EvalQuestion, load_questions

ROOT = Path(__file__).resolve().parent.parent
FITTED = [0, 1, 2, 4, 5]  # indices into Evidence.vector(): dense, lexical, typed, missing, unmatched


def _right(sentence: str, question: EvalQuestion) -> bool:
    """The sentence, given as the answer, holds the expected text."""
    return is_correct(sentence, False, question.answers, question.answers_all, False)


def features(questions: list[EvalQuestion]) -> list[tuple[list[float], str, EvalQuestion]]:
    """(evidence vector, best sentence, question) for every question with any candidate."""
    from retrieval import AnswerEngine, Settings, open_index
    from retrieval.aliases import expand

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        index = open_index(Settings(data_dir=Path(scratch), collection="calibrate"))
        index.add([ROOT / "seeds"])
        composer = AnswerEngine(index).extractive
        for question in questions:
            ranked = composer.score(
                question.question, question.question, index.search(expand(question.question), k=8)
            )
            if ranked:
                evidence = composer.evidence(question.question, ranked[0])
                rows.append((evidence.vector(), ranked[0].sentence.text, question))
    return rows


def report(rows: list[tuple[list[float], str, EvalQuestion]], weights: list[float], bias: float) -> None:
    """Accuracy and abstention precision/recall at a few thresholds."""
    for threshold in (0.35, 0.4, 0.45, 0.5):
        correct = answerable = true_abstain = false_abstain = missed = 0
        for vector, sentence, question in rows:
            z = bias + sum(w * vector[i] for w, i in zip(weights, FITTED, strict=True))
            answers = 1 / (1 + math.exp(-z)) >= threshold
            if question.unanswerable:
                true_abstain += not answers
                missed += answers
            else:
                answerable += 1
                false_abstain += not answers
                correct += answers and _right(sentence, question)
        precision = true_abstain / max(1, true_abstain + false_abstain)
        recall = true_abstain / max(1, true_abstain + missed)
        print(
            f"  threshold {threshold:.2f}: accuracy {correct / max(1, answerable):.3f}, "
            f"abstention precision {precision:.3f}, recall {recall:.3f}"
        )


def main() -> None:
    """Fit on --questions, report on it and on --check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--check", type=Path, default=ROOT / "eval" / "heldout.jsonl")
    parser.add_argument("--c", type=float, default=3.0, help="inverse regularisation strength")
    args = parser.parse_args()
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # a development tool: scikit-learn comes with sentence-transformers
        raise SystemExit("eval.calibrate needs scikit-learn: pip install scikit-learn") from exc

    fit_rows = features(load_questions(args.questions))
    labels = [int(not q.unanswerable and _right(s, q)) for _, s, q in fit_rows]
    model = LogisticRegression(C=args.c).fit([[v[i] for i in FITTED] for v, _, _ in fit_rows], labels)
    weights = [round(float(w), 2) for w in model.coef_[0]]
    bias = round(float(model.intercept_[0]), 2)
    print(f"COEFFICIENTS = ({weights[0]}, {weights[1]}, {weights[2]}, 0.0, {weights[3]}, {weights[4]})")
    print(f"INTERCEPT = {bias}")
    print(f"on {args.questions.name} (fitted):")
    report(fit_rows, weights, bias)
    print(f"on {args.check.name} (never fitted):")
    report(features(load_questions(args.check)), weights, bias)


if __name__ == "__main__":
    main()
