"""The :class:`Query`: a question read once — its words, constraints, answer type and vector.

Every later stage (retrieve, rank, gather evidence, decide, compose) reads this value instead of normalising,
typing and tokenising the question again.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from retrieval.aliases import aliases, expand
from retrieval.answering.when import TimeScope, time_scope
from retrieval.conversation import content_words
from retrieval.index import Index
from retrieval.lexical import tokenize
from retrieval.numbered import numbered
from retrieval.qtypes import AnswerType, answer_type, proper_names
from retrieval.sentences import sentence_spans

YEAR = re.compile(r"(?<![\d$£€.,])\b(1[89]\d\d|20\d\d)\b(?![\d,.]\d)")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{2,80})[\"“”]")
# Words that say what kind of answer is wanted, not what it is about.
CUE_WORDS = frozenset(
    (
        "who whom whose what which when where why how many much percentage percent share number proportion "
        "year date day name kind mentioned article articles report reported according considering information "
        "based latest newest recent recently current currently now still today yesterday week weeks month "
        "months because figure figures amount individual entity entities"
    ).split()
)


@dataclass(frozen=True)
class Constraints:
    """What a passage must agree with to answer the question."""

    years: frozenset[int] = frozenset()
    numbers: frozenset[str] = frozenset()  # figures other than years, as written
    names: tuple[str, ...] = ()  # capitalised names the question mentions
    quoted: tuple[str, ...] = ()  # phrases in quotation marks
    series: tuple[
        tuple[str, frozenset[int]], ...
    ] = ()  # which one of a series: ("season", {4}) (numbered.py)


@dataclass(frozen=True, eq=False)
class Query:
    """One question, read once."""

    text: str  # the user's words, whitespace-normalised
    resolved: str  # the follow-up read in context (== text when it stands alone)
    search_text: str  # what retrieval searches: resolved, with place aliases appended
    kind: AnswerType
    constraints: Constraints
    weights: dict[str, float]  # stemmed topic token -> weight (IDF; context words count less)
    aliases: dict[str, frozenset[str]]  # stemmed token -> stemmed tokens of its other names
    vector: np.ndarray  # unit-length embedding of search_text
    subject: str | None = None  # the person a follow-up's "he"/"she" means
    unknown: float = 0.0  # IDF-weighted share of the topic words the corpus never uses
    corpus_chunks: int = 0
    own_tokens: tuple[str, ...] = field(default=())  # the user's own topic tokens, in order
    scope: TimeScope = field(default_factory=lambda: TimeScope(date.today()))  # when, and which dates

    @property
    def needs_type(self) -> bool:
        """True when the question asks for a person, date, number, place or list."""
        return self.kind not in (AnswerType.OTHER, AnswerType.REASON)


def question_of(message: str) -> str:
    """The question in a message: its sentences that ask ("…?"), when others only surround them."""
    sentences = [message[start:end] for start, end in sentence_spans(message)]
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(sentences) else message


def constraints_of(text: str) -> Constraints:
    """Years, other figures, names, quoted phrases and numbered series ("season 4") in ``text``."""
    years = frozenset(int(m.group(1)) for m in YEAR.finditer(text))
    numbers = frozenset(
        n for n in _NUMBER.findall(text) if not (len(n) == 4 and n.isdigit() and int(n) in years)
    )
    return Constraints(
        years=years,
        numbers=numbers,
        names=tuple(sorted(proper_names(text))),
        quoted=tuple(m.group(1).strip() for m in _QUOTED.finditer(text)),
        series=tuple(sorted(numbered(text).items())),
    )


def topic_tokens(text: str) -> list[str]:
    """Stemmed tokens of the words that say what ``text`` is about (cue words left out), in order."""
    words = [w for w in content_words(text) if w.lower() not in CUE_WORDS]
    if not words:
        return []
    return list(dict.fromkeys(t for tokens in tokenize(words) for t in tokens))


def _alias_tokens(words: list[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for word in words:
        names = aliases(word)
        if names:
            for token in tokenize([word])[0]:
                found.setdefault(token, set()).update(t for n in names for t in tokenize([n])[0])
    return {k: frozenset(v) for k, v in found.items()}


def build_query(
    text: str,
    resolved: str,
    index: Index,
    subject: str | None = None,
    context_weight: float = 0.3,
    asked_on: date | None = None,
) -> Query:
    """Read ``text`` (and its resolved form) once: constraints, type, weighted topic words, time, vector.

    ``asked_on`` (default: today) is the day relative time ("last week", "before May 15") is read from.
    """
    scope = time_scope(resolved, asked_on or date.today())
    text_read, resolved_read = scope.without_phrases(text), scope.without_phrases(resolved)
    own = topic_tokens(text_read)
    context = [t for t in topic_tokens(resolved_read) if t not in own] if resolved != text else []
    frequency, chunks = index.term_statistics(own + context)
    idf = {t: math.log(1 + (chunks + 1) / (frequency.get(t, 0) + 0.5)) for t in own + context}
    weights = {t: idf[t] for t in own}
    weights.update({t: context_weight * idf[t] for t in context})
    total = sum(idf[t] for t in own) or 1.0
    unknown = sum(idf[t] for t in own if frequency.get(t, 0) == 0) / total if own else 0.0
    search_text = expand(resolved)
    vector = np.asarray(index.embed_query(search_text), dtype=np.float32)
    vector /= np.linalg.norm(vector) or 1.0
    return Query(
        text=text,
        resolved=resolved,
        search_text=search_text,
        kind=answer_type(text),
        constraints=constraints_of(text_read),
        weights=weights,
        aliases=_alias_tokens(content_words(resolved)),
        vector=vector,
        subject=subject,
        unknown=unknown,
        corpus_chunks=chunks,
        own_tokens=tuple(own),
        scope=scope,
    )
