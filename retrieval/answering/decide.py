"""Decide: answer, offer the closest passage (said as such), or decline — from the evidence.

A logistic model over :meth:`Evidence.vector` gives a confidence; ``eval.fit`` fits its coefficients and
both thresholds over every eval suite with cross-validation. Checks no score can outweigh: a "who/what is
the X of Y" sentence must name X (or a near synonym), a "who won …" sentence must say the action (or a near
synonym; any reporting verb for another), and a follow-up's "he"/"she" must be the person the passage is
about.
"""

from __future__ import annotations

import math
import re
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
    return _near_synonym(head.lower(), best.sentence.text, pool, params)


def _near_synonym(word: str, sentence: str, pool: SentencePool, params: Params) -> bool:
    """A content word of ``sentence`` means nearly what ``word`` means (word embeddings, cosine)."""
    words = list(dict.fromkeys(w.lower() for w in content_words(sentence)))
    vectors = pool.embed_words([word, *words])
    return any(float(vectors[word] @ vectors[w]) >= params.head_match_similarity for w in words)


_WORDS = re.compile(r"[a-z]+")
_ASKED_VERB = re.compile(r"^\s*who\s+(?P<verb>[a-z]+)\b", re.IGNORECASE)
# "Who is …", "Who became …": a copula or an auxiliary says no action the passage must name.
_AUXILIARIES = frozenset(
    (
        "is are was were be been do does did has have had will would can could shall should may might must "
        "become becomes became remain remains remained seem seems seemed"
    ).split()
)
# News reports speech with any of these: "warned that …" is often written "said …".
_REPORTING = frozenset(
    (
        "say says said tell tells told warn warns warned claim claims claimed state states stated argue argues "
        "argued predict predicts predicted call calls called add adds added note notes noted announce announces "
        "announced insist insists insisted"
    ).split()
)


def asked_verb(question: str) -> str | None:
    """The verb of "Who won …?", "Who acquired …?" (None for "Who is …?" and other shapes)."""
    match = _ASKED_VERB.match(question)
    if not match or match.group("verb").lower() in _AUXILIARIES:
        return None
    return match.group("verb").lower()


def _related(a: str, b: str) -> bool:
    """One stem starts the other ("direct" and "director", "govern" and "governor"); four letters at least."""
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def names_action(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> bool:
    """For "Who won …?": the best sentence says it (or a near synonym: "wins", "beat")."""
    verb = asked_verb(query.text)
    best = evidence.best
    if verb is None or best is None:
        return True
    stems = tokenize([verb])[0]
    if set(stems) <= best.tokens or any(_related(stem, token) for stem in stems for token in best.tokens):
        return True
    if verb in _REPORTING and _REPORTING & set(_WORDS.findall(best.sentence.text.lower())):
        return True
    return _near_synonym(verb, best.sentence.text, pool, params)


def about_subject(query: Query, evidence: Evidence, pool: SentencePool) -> bool:
    """True unless a follow-up's "he"/"she" means someone the passage and its neighbours never name."""
    if not query.subject or evidence.best is None:
        return True
    around = " ".join(s.text for s in pool.window(evidence.best.sentence)).lower()
    return any(part.lower() in around for part in query.subject.split() if len(part) > 2)


def names_what_is_asked(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> bool:
    """The best sentence names the thing asked for ("the president") and the action ("won")."""
    return names_head(query, evidence, pool, params) and names_action(query, evidence, pool, params)


def checks_hold(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> bool:
    """Every check no score outweighs passes (what ``eval.fit`` records beside the features)."""
    return names_what_is_asked(query, evidence, pool, params) and about_subject(query, evidence, pool)


def decide(query: Query, evidence: Evidence, pool: SentencePool, params: Params) -> tuple[Decision, float]:
    """The decision and the confidence behind it."""
    score = confidence(evidence, params)
    if evidence.best is None:
        return Decision.DECLINE, score
    if score >= params.answer_threshold and names_what_is_asked(query, evidence, pool, params):
        if about_subject(query, evidence, pool):
            return Decision.ANSWER, score
        return Decision.DECLINE, score
    if score >= params.closest_threshold:
        return Decision.CLOSEST, score
    return Decision.DECLINE, score
