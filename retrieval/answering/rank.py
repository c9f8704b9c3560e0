"""Rank: the sentences of the retrieved chunks, scored as answers to the :class:`Query`.

A sentence scores by its meaning (embedding similarity), the question's topic words it holds (IDF-weighted,
other names of a place counting) and those only its neighbours and headline hold ("The repairs will cost
$12 million" under "Alder Creek dam repairs begin"), whether it holds the kind of answer asked for, the rank
of its chunk, whether it contradicts the question's year, and, when the question asks for the latest, how
recent its article is. Only the best few by the cheap features are embedded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from retrieval.answering.params import Params
from retrieval.answering.query import YEAR, Query
from retrieval.answering.spans import entities, typed_score
from retrieval.lexical import tokenize
from retrieval.numbered import breaks
from retrieval.passages import Sentence, SentencePool
from retrieval.qtypes import has_answer
from retrieval.types import Hit

_FIGURE = re.compile(r"\d[\d,.]*\d|\d")


@dataclass(frozen=True)
class Candidate:
    """A sentence with its features and ranking score."""

    sentence: Sentence
    tokens: frozenset[str]
    lexical: float  # weighted share of the question's topic words in the sentence
    typed: float  # how well it holds the kind of answer asked for (0–1)
    conflict: bool  # names a year, and not the question's
    context: float = 0.0  # ... further share found only in its neighbours and its article's headline
    missing: float = 0.0  # share of the question's years and figures absent from it and its neighbours
    recent: float = 0.0  # asked for the latest: 1 for the newest article weighed, 0 for the oldest or undated
    dense: float = 0.0
    score: float = 0.0


def covered(query: Query, token: str, tokens: frozenset[str] | set[str]) -> bool:
    """The token, or another name of the same place, is among ``tokens``."""
    return token in tokens or bool(query.aliases.get(token, frozenset()) & tokens)


def coverage(query: Query, tokens: frozenset[str] | set[str]) -> float:
    """Weighted share of the question's topic words found in ``tokens``."""
    total = sum(query.weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in query.weights.items() if covered(query, t, tokens)) / total


def conflicts(query: Query, text: str) -> bool:
    """True when ``text`` names years and none of them is a year the question asks about, or numbers a series
    the question names only otherwise (season 10 for "season 4", the 90th for "the 93rd Academy Awards")."""
    if breaks(dict(query.constraints.series), text):
        return True
    if not query.constraints.years:
        return False
    years = {int(m.group(1)) for m in YEAR.finditer(text)}
    return bool(years) and not years & query.constraints.years


def missing(query: Query, text: str) -> float:
    """Share of the question's years and figures that ``text`` never mentions."""
    wanted = [str(y) for y in query.constraints.years] + list(query.constraints.numbers)
    if not wanted:
        return 0.0
    present = set(_FIGURE.findall(text))
    return sum(1 for w in wanted if w not in present) / len(wanted)


def _context(pool: SentencePool, sentence: Sentence) -> str:
    """The sentence, its neighbours and its article's headline: where a year or a figure may sit."""
    return " ".join([*(s.text for s in pool.window(sentence)), sentence.article.title])


def recency(query: Query, sentences: Sequence[Sentence]) -> list[float]:
    """When the question asks for the latest: each sentence's article by the order of the dates weighed,
    1 for the newest day, 0 for the oldest (and for undated articles)."""
    days = sorted({s.article.published for s in sentences if s.article.published is not None})
    if not query.scope.latest or len(days) < 2:
        return [0.0] * len(sentences)
    place = {day: i / (len(days) - 1) for i, day in enumerate(days)}
    return [place[s.article.published] if s.article.published else 0.0 for s in sentences]


def _score(c: Candidate, params: Params) -> float:
    return (
        params.w_dense * c.dense
        + params.w_lexical * c.lexical
        + params.w_context * c.context
        + params.w_type * c.typed
        + params.w_rank / c.sentence.hit_rank
        - params.w_conflict * c.conflict
        - params.w_missing * c.missing
        + params.w_recent * c.recent
    )


def rank(query: Query, hits: Sequence[Hit], pool: SentencePool, params: Params) -> list[Candidate]:
    """The candidate sentences of ``hits``, best first (only the embedded shortlist is returned).

    Cheap features (words, a rule-based type check, constraints, chunk rank) pick the shortlist; the
    shortlist is then embedded and its answer spans found by the entity model.
    """
    sentences = pool.sentences(hits)
    if not sentences:
        return []
    token_sets = [frozenset(tokens) for tokens in tokenize([s.text for s in sentences])]
    contexts = [_context(pool, s) for s in sentences]
    context_sets = [frozenset(tokens) for tokens in tokenize(contexts)]
    cheap = []
    recent = recency(query, sentences)
    for sentence, tokens, around, text, newness in zip(
        sentences, token_sets, context_sets, contexts, recent, strict=True
    ):
        lexical = coverage(query, tokens)
        cheap.append(
            Candidate(
                sentence=sentence,
                tokens=tokens,
                lexical=lexical,
                context=coverage(query, tokens | around) - lexical,
                typed=float(has_answer(query.kind, sentence.text, query.text)),
                conflict=conflicts(query, sentence.text),
                missing=missing(query, text),
                recent=newness,
            )
        )
    shortlist = sorted(cheap, key=lambda c: -_score(c, params))[: params.embedded_candidates]
    similarities = pool.embed([c.sentence for c in shortlist]) @ query.vector
    found = entities([c.sentence.text for c in shortlist]) if query.needs_type else [()] * len(shortlist)
    scored = []
    for c, sim, spans in zip(shortlist, similarities, found, strict=True):
        typed = (
            typed_score(query.kind, c.sentence.text, query.text, spans, params.rule_only_type)
            if query.needs_type
            else c.typed
        )
        candidate = replace(c, dense=float(sim), typed=typed)
        scored.append(replace(candidate, score=_score(candidate, params)))
    return sorted(scored, key=lambda c: -c.score)
