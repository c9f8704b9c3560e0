"""Gather evidence: what the best sentences, their neighbours and their articles say about the question.

The decision to answer reads :class:`Evidence`: are the question's topic words, names and years in what would
be quoted (the best sentence with its neighbours, its article's headline and source), in one article or
across several, and does the passage contradict the question's year?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.query import Query
from retrieval.answering.rank import Candidate, conflicts, coverage, covered
from retrieval.lexical import tokenize
from retrieval.passages import Sentence, SentencePool
from retrieval.types import Hit


@dataclass(frozen=True)
class Evidence:
    """The ranked candidates and the features the answer-or-decline model reads."""

    candidates: tuple[Candidate, ...]
    hits: tuple[Hit, ...]  # what retrieval returned, best first
    windows: tuple[tuple[Sentence, ...], ...]  # per pooled article: its best sentence and neighbours
    dense: float = 0.0  # meaning similarity of the best sentence
    coverage: float = 0.0  # topic words found around the best sentence (headline and source included)
    union: float = 0.0  # topic words found around the best sentences of up to ``Params.max_sources`` articles
    typed: float = 0.0  # how well the best sentence holds the kind of answer asked for (1 if none is needed)
    unknown: float = 0.0  # topic words the corpus never uses
    conflict: bool = False  # the best passage names another year than the question's
    names_missing: float = 0.0  # share of the question's names absent from the pooled evidence
    missing: float = 0.0  # share of the question's years and figures absent around the best sentence

    @property
    def best(self) -> Candidate | None:
        """The top-ranked sentence, if any."""
        return self.candidates[0] if self.candidates else None

    def vector(self) -> list[float]:
        """The features, in the order of ``Params.coefficients``."""
        return [
            self.dense,
            self.coverage,
            self.union,
            self.typed,
            self.unknown,
            float(self.conflict),
            self.names_missing,
            self.missing,
        ]


FEATURES = ("dense", "coverage", "union", "typed", "unknown", "conflict", "names_missing", "missing")


def window_tokens(sentences: Sequence[Sentence]) -> set[str]:
    """Stemmed tokens of the sentences and of their article's headline and source."""
    article = sentences[0].article
    texts = [s.text for s in sentences] + [article.title, article.source or ""]
    return {t for tokens in tokenize(texts) for t in tokens}


def mentions(query: Query, name: str, tokens: set[str]) -> bool | None:
    """Whether ``tokens`` hold a word of ``name`` (or another name of it); None when it has no word to seek."""
    wanted = tokenize([name])[0]
    if not wanted:
        return None
    return any(covered(query, t, tokens) for t in wanted)


def _names_missing(query: Query, tokens: set[str]) -> float:
    names = query.constraints.names
    if not names:
        return 0.0
    return sum(mentions(query, name, tokens) is False for name in names) / len(names)


def gather(
    query: Query, hits: Sequence[Hit], candidates: Sequence[Candidate], pool: SentencePool, max_sources: int
) -> Evidence:
    """Evidence for the decision, from the ranked candidates."""
    if not candidates:
        return Evidence(candidates=(), hits=tuple(hits), windows=(), unknown=query.unknown)
    best = candidates[0]
    windows: list[tuple[Sentence, ...]] = []
    seen: set[str] = set()
    for candidate in candidates:
        article_id = candidate.sentence.article.article_id
        if article_id in seen:
            continue
        seen.add(article_id)
        windows.append(pool.window(candidate.sentence))
        if len(windows) == max_sources:
            break
    first = window_tokens(windows[0])
    pooled = set().union(*(window_tokens(w) for w in windows))
    around = " ".join(s.text for s in windows[0])
    conflict = best.conflict or (
        conflicts(query, around + " " + best.sentence.article.title)
        and not any(str(y) in around for y in query.constraints.years)
    )
    return Evidence(
        candidates=tuple(candidates),
        hits=tuple(hits),
        windows=tuple(windows),
        dense=best.dense,
        coverage=coverage(query, first),
        union=coverage(query, pooled),
        typed=best.typed if query.needs_type else 1.0,
        unknown=query.unknown,
        conflict=conflict,
        names_missing=_names_missing(query, pooled),
        missing=best.missing,
    )
