"""Decide: answer, offer the closest passage (said as such), or decline — from the evidence.

A logistic model over :meth:`Evidence.vector` gives a confidence; ``eval.fit`` fits its coefficients and
both thresholds over every eval suite with cross-validation. Two checks no score can outweigh: a
"who/what is the X of Y" sentence must name X (or a near synonym), and a follow-up's "he"/"she" must be the
person the passage is about.
"""

from __future__ import annotations

import math
from enum import StrEnum

from retrieval.answering.evidence import Evidence
from retrieval.answering.params import Params
from retrieval.answering.query import CUE_WORDS, Query
from retrieval.conversation import content_words
from retrieval.lexical import tokenize
from retrieval.passages import SentencePool
from retrieval.qtypes import counted_noun, head_noun


class Decision(StrEnum):
    """What the engine does with the evidence."""

    ANSWER = "answer"
    CLOSEST = "closest"  # the evidence is partial: the nearest passage, said to be only that
    DECLINE = "decline"


def confidence(evidence: Evidence, params: Params) -> float:
    """Probability-like confidence in [0, 1] that the best sentence answers the question."""
    if evidence.best is None:
        return 0.0
    z = params.intercept + sum(c * x for c, x in zip(params.coefficients, evidence.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-z))


def names_head(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> bool:
    """For "who/what is the X of Y" or "how many X": the best sentence names X (or a near synonym)."""
    head = head_noun(query.text) or counted_noun(query.text)
    best = evidence.best
    if head is None or best is None:
        return True
    # "the date of X": the type says it; "the latest containment figure": the containment is the thing
    head = " ".join(w for w in head.split() if w.lower() not in CUE_WORDS)
    if not head:
        return True
    wanted = tokenize([head])[0]
    if not wanted or set(wanted) <= best.tokens:
        return True
    words = list(dict.fromkeys(w.lower() for w in content_words(best.sentence.text)))
    vectors = pool.embed_words([head.lower(), *words])
    return any(float(vectors[head.lower()] @ vectors[w]) >= params.head_match_similarity for w in words)


def about_subject(query: Query, evidence: Evidence, pool: SentencePool) -> bool:
    """True unless a follow-up's "he"/"she" means someone the passage and its neighbours never name."""
    if not query.subject or evidence.best is None:
        return True
    around = " ".join(s.text for s in pool.window(evidence.best.sentence)).lower()
    return any(part.lower() in around for part in query.subject.split() if len(part) > 2)


def decide(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> tuple[Decision, float]:
    """The decision and the confidence behind it."""
    score = confidence(evidence, params)
    if evidence.best is None:
        return Decision.DECLINE, score
    if score >= params.answer_threshold and names_head(query, evidence, pool, params):
        if about_subject(query, evidence, pool):
            return Decision.ANSWER, score
        return Decision.DECLINE, score
    if score >= params.closest_threshold:
        return Decision.CLOSEST, score
    return Decision.DECLINE, score
