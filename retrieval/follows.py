"""Followed questions: what an answer rests on (its fingerprint) and what changed between two answers.

A followed question is answered again after each ingest. It is worth telling someone only when the new
answer quotes something the last one they saw did not: answers are built from verbatim quotes, so a new
fact arrives as a new quote. Rewordings of the same quotes (an LLM never writes the same sentence twice)
and answers that merely drop a citation are not news. A decline is never news either: the follow stays
quiet until an answer appears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from retrieval.types import Answer


def _words(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class CitedQuote:
    """One quote an answer cites, with the article it comes from."""

    article_id: str
    title: str
    quote: str
    published: date | None = None
    url: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What identifies the quote across answers (whitespace and numbering do not count)."""
        return self.article_id, _words(self.quote)


@dataclass(frozen=True)
class Fingerprint:
    """What an answer said and which quotes it rests on; stored to compare the next answer with."""

    text: str
    quotes: tuple[CitedQuote, ...]

    def to_json(self) -> str:
        """The fingerprint as JSON (dates as ISO strings)."""
        quotes = [
            {
                "article_id": q.article_id,
                "title": q.title,
                "quote": q.quote,
                "published": q.published.isoformat() if q.published else None,
                "url": q.url,
            }
            for q in self.quotes
        ]
        return json.dumps({"text": self.text, "quotes": quotes}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> Fingerprint:
        """Rebuild a fingerprint from :meth:`to_json`; ValueError/KeyError/TypeError when it is not one."""
        raw: dict[str, Any] = json.loads(data)
        quotes = tuple(
            CitedQuote(
                article_id=str(q["article_id"]),
                title=str(q["title"]),
                quote=str(q["quote"]),
                published=date.fromisoformat(q["published"]) if q.get("published") else None,
                url=q.get("url"),
            )
            for q in raw["quotes"]
        )
        return cls(text=str(raw["text"]), quotes=quotes)


def fingerprint(answer: Answer) -> Fingerprint | None:
    """The fingerprint of an answer; None for a decline (or a "closest passage" that is not an answer)."""
    if answer.abstained or not answer.citations:
        return None
    quotes = tuple(
        CitedQuote(c.article_id, c.title, c.quote, published=c.published, url=c.url) for c in answer.citations
    )
    return Fingerprint(text=answer.text, quotes=quotes)


@dataclass(frozen=True)
class Source:
    """An article as a "what changed" line names it."""

    article_id: str
    title: str
    published: date | None = None
    url: str | None = None


@dataclass(frozen=True)
class Change:
    """What is new in an answer compared with the one seen before.

    ``new_sources`` are articles the earlier answer did not cite; ``new_passages`` are articles it cited
    that are now quoted in other places; ``before`` is the earlier answer's text (None: the first answer).
    """

    new_sources: tuple[Source, ...]
    new_passages: tuple[Source, ...]
    before: str | None


def _sources(quotes: list[CitedQuote]) -> tuple[Source, ...]:
    seen: dict[str, Source] = {}
    for q in quotes:
        seen.setdefault(q.article_id, Source(q.article_id, q.title, q.published, q.url))
    return tuple(seen.values())


def what_changed(before: Fingerprint | None, answer: Answer) -> Change | None:
    """What the answer adds to ``before`` (the last answer seen), or None when there is nothing to tell."""
    after = fingerprint(answer)
    if after is None:
        return None
    if before is None:
        return Change(new_sources=_sources(list(after.quotes)), new_passages=(), before=None)
    known = {q.key for q in before.quotes}
    fresh = [q for q in after.quotes if q.key not in known]
    if not fresh:
        return None
    cited_before = {q.article_id for q in before.quotes}
    return Change(
        new_sources=_sources([q for q in fresh if q.article_id not in cited_before]),
        new_passages=_sources([q for q in fresh if q.article_id in cited_before]),
        before=before.text,
    )
