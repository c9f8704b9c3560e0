"""The project's own value types: what the public API takes and returns.

Callers never see llama-index or Chroma objects; everything crossing the API is one of these frozen
dataclasses, cheap to compare, hash and serialise (``dataclasses.asdict`` / :func:`to_json`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ArticleMeta:
    """Who an article is: its stable id and what is known about where it came from."""

    article_id: str
    file_name: str
    title: str
    url: str | None = None
    published: date | None = None
    source: str | None = None


@dataclass(frozen=True)
class Article:
    """One loaded article: metadata plus the full text that citations quote from."""

    meta: ArticleMeta
    text: str
    path: str  # where it was loaded from; the key that a changed file is matched on


@dataclass(frozen=True)
class Chunk:
    """A few sentences of an article; ``article.text[start_char:end_char] == text``."""

    chunk_id: str
    article_id: str
    position: int
    text: str
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Hit:
    """One search result: a chunk, its fused score and the article it belongs to."""

    chunk_id: str
    text: str
    score: float
    article: ArticleMeta
    start_char: int
    end_char: int
    dense_rank: int | None = None  # 1-based rank in the dense list, None when absent from it
    lexical_rank: int | None = None  # 1-based rank in the BM25 list


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions on a search: sources (file names or ``source`` values) and a date range."""

    sources: tuple[str, ...] = ()
    published_from: date | None = None
    published_to: date | None = None


@dataclass(frozen=True)
class Citation:
    """A numbered, verbatim quote backing a claim: ``article text[start_char:end_char] == quote``."""

    n: int
    article_id: str
    file_name: str
    title: str
    quote: str
    start_char: int
    end_char: int
    url: str | None = None
    published: date | None = None
    source: str | None = None  # the publisher, where the article names one

    @classmethod
    def of(cls, n: int, article: ArticleMeta, quote: str, start_char: int, end_char: int) -> Citation:
        """Citation ``n`` of ``quote``, found at ``start_char:end_char`` of ``article``."""
        return cls(
            n=n,
            article_id=article.article_id,
            file_name=article.file_name,
            title=article.title,
            quote=quote,
            start_char=start_char,
            end_char=end_char,
            url=article.url,
            published=article.published,
            source=article.source,
        )


@dataclass(frozen=True)
class TracedSentence:
    """A sentence the engine weighed for an answer: where it is, how it scored, whether it was quoted."""

    article: ArticleMeta
    start_char: int
    end_char: int
    score: float
    chosen: bool = False


@dataclass(frozen=True)
class Trace:
    """What the engine ran for one answer: the search it made, what ranked where, and why it decided so.

    The eval, the bot's ``/sources`` and the citation check read this instead of searching again.
    ``decision`` is ``"answer"``, ``"closest"`` (a partial answer: the nearest passage, said as such) or
    ``"decline"``.
    """

    query: str  # the text actually searched (the resolved follow-up, for a follow-up)
    hits: tuple[Hit, ...] = ()  # what retrieval returned, best first (rank = position + 1)
    sentences: tuple[TracedSentence, ...] = ()  # the candidates weighed, best first
    decision: str = "decline"
    confidence: float = 0.0


@dataclass(frozen=True)
class Answer:
    """A short answer with ``[n]`` markers, the citations they refer to, and whether it abstained."""

    question: str
    text: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    mode: str = "extractive"  # or "generative"
    timings_ms: tuple[tuple[str, float], ...] = ()  # (stage, milliseconds), in order
    resolved_question: str | None = None  # the follow-up as rewritten for retrieval, when it differs
    trace: Trace | None = None  # what the engine searched and weighed (None for canned replies)


@dataclass(frozen=True)
class SkippedFile:
    """An input the ingest refused, and why, in words a user can act on."""

    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run did."""

    added: tuple[str, ...] = ()  # paths
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[SkippedFile, ...] = ()
    chunks_written: int = 0


@dataclass(frozen=True)
class IndexStats:
    """Size and location of an index."""

    articles: int
    chunks: int
    location: str
    collection: str
    sources: tuple[ArticleMeta, ...] = field(default=())


def _default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def to_dict(value: Any) -> dict[str, Any]:
    """Turn one of the dataclasses above into plain JSON-ready data."""
    data: dict[str, Any] = json.loads(to_json(value))
    return data


def to_json(value: Any, *, indent: int | None = None) -> str:
    """Serialise one of the dataclasses above to JSON (dates as ISO strings)."""
    return json.dumps(dataclasses.asdict(value), default=_default, ensure_ascii=False, indent=indent)
