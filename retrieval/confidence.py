"""Answer or abstain: a calibrated logistic model over a few features of the best candidate sentence.

The coefficients were fitted on ``eval/questions.jsonl`` (right answers against unanswerable questions and
wrong answers) and checked on ``eval/heldout.jsonl``, which the fit never sees; refit them with
``python -m eval.calibrate`` whenever the features or the ranking change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Evidence:
    """Features of the best candidate sentence for one question."""

    dense: float  # cosine similarity of sentence and question embeddings
    lexical: float  # weighted share of the question's words found in the sentence
    typed: bool  # the sentence holds the kind of answer asked for
    needs_type: bool  # the question asks for a person, date, number, place or list
    unknown: float  # share of the question's topic words that appear nowhere in the corpus
    missing: float  # IDF-weighted share of known topic words absent around the sentence
    unmatched: float = (
        0.0  # share of topic words with neither the word nor a near synonym around the sentence
    )

    def vector(self) -> list[float]:
        """The features in the order of :data:`COEFFICIENTS`."""
        return [
            self.dense,
            self.lexical,
            float(self.typed or not self.needs_type),
            self.unknown,
            self.missing,
            self.unmatched,
        ]


# Fitted (logistic regression, C=3) on eval/questions.jsonl with wrong answers and unanswerable questions as
# negatives, after place aliases joined the word-overlap features. ``unknown`` is kept at 0: the fit gives it
# a positive weight (paraphrases use words the articles don't), which would make questions about things the
# corpus never mentions look answerable. Checked on eval/heldout.jsonl, which the fit never sees.
COEFFICIENTS = (2.06, 0.79, 2.37, 0.0, -1.91, -1.82)
INTERCEPT = -2.91


def answerable(evidence: Evidence) -> float:
    """Probability-like confidence in [0, 1] that the best sentence answers the question."""
    z = INTERCEPT + sum(c * x for c, x in zip(COEFFICIENTS, evidence.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-z))
