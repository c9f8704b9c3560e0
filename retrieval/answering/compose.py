"""Compose: the extractive composer, and the one interface every composer answers to.

The extractive composer quotes the chosen sentences verbatim and cites each; a second article saying the
same is cited beside the first, a different figure is reported as a disagreement, and a question whose topic
spans several articles gets a sentence from each. No language model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise
from typing import Protocol

import numpy as np

from retrieval import prompts
from retrieval.answering.decide import Decision
from retrieval.answering.evidence import Evidence, mentions, window_tokens
from retrieval.answering.params import Params
from retrieval.answering.query import CUE_WORDS, Query
from retrieval.answering.rank import Candidate, coverage
from retrieval.answering.short import short_answer, title_case
from retrieval.answering.when import spoken
from retrieval.citations import MARKER
from retrieval.conversation import Conversation, content_words
from retrieval.lexical import tokenize
from retrieval.passages import Sentence, SentencePool
from retrieval.qtypes import AnswerType, proper_names
from retrieval.types import ArticleMeta, Citation

_NUMBER = re.compile(r"\d[\d,.]*")
_REASON_LEAD = re.compile(
    r"^[\"“‘']?(that’s|that's|this is|that is|it is|because|thanks to|the reason)\b", re.IGNORECASE
)
_PRONOUN_START = re.compile(r"^[\"“‘']?(he|she|they|it|this|that|these|those)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """A composed answer before the citation check: text with [n] markers and its citations."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float = 0.0
    decision: Decision = Decision.ANSWER
    quoted: tuple[Sentence, ...] = ()  # the sentences the text quotes
    mode: str = "extractive"  # the composer that wrote it


class Composer(Protocol):
    """Anything that turns a query and its evidence into a draft answer."""

    mode: str

    def compose(self, query: Query, evidence: Evidence, decision: Decision, confidence: float) -> Draft:
        """A draft answer (the engine checks its citations before anyone sees it)."""
        ...

    def condense(self, question: str, conversation: Conversation) -> str | None:
        """A follow-up rewritten to stand alone, or None to use the conversation's own resolution."""
        ...


def clip(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word to at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def citation(n: int, sentence: Sentence) -> Citation:
    """Citation ``n`` quoting ``sentence``."""
    return Citation.of(n, sentence.article, sentence.text, sentence.start_char, sentence.end_char)


def _shift_markers(text: str, offset: int) -> str:
    """``[1]`` becomes ``[1 + offset]``."""
    return MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)


def merge(drafts: Sequence[Draft]) -> Draft:
    """One answer from the answers to the parts of a compound question, citations renumbered in order."""
    answered = [d for d in drafts if not d.abstained]
    if not answered:
        return drafts[0]
    parts: list[str] = []
    citations: list[Citation] = []
    for draft in answered:
        offset = len(citations)
        parts.append(_shift_markers(draft.text, offset))
        citations.extend(replace(c, n=c.n + offset) for c in draft.citations)
    if len(answered) < len(drafts):
        parts.append(prompts.PARTLY_ANSWERED)
    quoted = tuple(s for d in answered for s in d.quoted)
    return Draft(
        " ".join(parts),
        tuple(citations),
        False,
        min(d.confidence for d in answered),
        quoted=quoted,
        mode=answered[0].mode,
    )


def _dated(article: ArticleMeta, named: str, unnamed: str) -> str:
    """``named`` (or ``unnamed`` without a source) filled with the article's date and source; "" if undated."""
    if article.published is None:
        return ""
    day = spoken(article.published)
    return named.format(date=day, source=article.source) if article.source else unnamed.format(date=day)


def as_of(article: ArticleMeta) -> str:
    """ "As of 16 May 2022, per Reuters:" for a dated article ("" when it has no date)."""
    return _dated(article, prompts.AS_OF, prompts.AS_OF_UNNAMED)


def earlier(article: ArticleMeta) -> str:
    """ "Earlier, on 12 May 2022, per AP:" for an older report of a figure since changed."""
    return _dated(article, prompts.EARLIER, prompts.EARLIER_UNNAMED)


def newest_first(claims: list[list[Sentence]]) -> list[list[Sentence]]:
    """Claims giving different figures, the newest report first (undated ones last, in their order)."""
    dated = [c for c in claims if c[0].article.published is not None]
    undated = [c for c in claims if c[0].article.published is None]
    return sorted(dated, key=lambda c: c[0].article.published or date.min, reverse=True) + undated


def _superseded(claims: list[list[Sentence]]) -> bool:
    """The claims, newest first, come from reports on strictly earlier and earlier days."""
    days = [c[0].article.published for c in claims]
    return all(d is not None for d in days) and all(
        a is not None and b is not None and a > b for a, b in pairwise(days)
    )


def _words(candidate: Candidate) -> float:
    """The question's topic words a candidate holds, counting those of its neighbours and headline."""
    return candidate.lexical + candidate.context


def _new_names(text: str, question: str) -> set[str]:
    asked = question.lower()
    return {name for name in proper_names(text) if name.lower() not in asked}


def _disagree(first: Sentence, second: Sentence) -> bool:
    """Two articles giving different figures."""
    figures = set(_NUMBER.findall(first.text)), set(_NUMBER.findall(second.text))
    return first.article.article_id != second.article.article_id and all(figures) and figures[0] != figures[1]


class ExtractiveComposer:
    """Quotes and cites the sentences the evidence chose."""

    mode = "extractive"

    def __init__(self, pool: SentencePool, params: Params) -> None:
        self.pool = pool
        self.params = params

    def condense(self, question: str, conversation: Conversation) -> str | None:
        """Without a language model the conversation's own resolution is used."""
        return None

    def _extended(self, candidate: Candidate, query: Query) -> Sentence:
        """The sentence, run on into the next one when the answer is there ("… said:" / "That's thanks to …")."""
        sentence = candidate.sentence
        following = self.pool.neighbour(sentence, 1)
        if following is None:
            return sentence
        kind = query.kind
        lead_in = sentence.text.rstrip().endswith(":")
        reason = kind is AnswerType.REASON and bool(_REASON_LEAD.search(following.text))
        listing = kind in (AnswerType.LIST, AnswerType.PLACE) and (
            len(_new_names(following.text, query.text)) >= 2 > len(_new_names(sentence.text, query.text))
        )
        own = {t for w in content_words(query.text) if w.lower() not in CUE_WORDS for t in tokenize([w])[0]}
        carries_on = bool(_PRONOUN_START.match(following.text)) and bool(
            (own & set(tokenize([following.text])[0])) - candidate.tokens
        )
        # "NFL Commissioners and Presidents." then "In 2006, Roger Goodell was chosen as …": a title-case line
        # introduces the sentence that answers
        introduces = query.needs_type and title_case(sentence.text) and not title_case(following.text)
        if lead_in or reason or listing or carries_on or introduces:
            return self.pool.joined(sentence, following)
        return sentence

    def _not_answered(self, evidence: Evidence, decision: Decision, confidence: float) -> Draft:
        best = evidence.best
        if best is None or decision is Decision.DECLINE:
            return Draft(prompts.ABSTAIN, (), True, confidence, Decision.DECLINE)
        text = prompts.CLOSEST.format(quote=clip(best.sentence.text, 200).strip("“”\"'"))
        return Draft(text, (citation(1, best.sentence),), True, confidence, decision, (best.sentence,))

    def _claims(self, query: Query, evidence: Evidence) -> tuple[list[list[Sentence]], bool]:
        """The sentences to quote, grouped by claim, and whether the second claim is a differing figure."""
        ranked = list(evidence.candidates)
        best = ranked[0]
        params = self.params
        vectors = self.pool.embed([c.sentence for c in ranked])
        claims: list[list[Sentence]] = [[self._extended(best, query)]]
        used = {0}
        for i, other in enumerate(ranked[1:], start=1):  # another article saying the same backs the claim
            same_article = other.sentence.article.article_id == best.sentence.article.article_id
            similar = float(vectors[i] @ vectors[0]) >= params.support_similarity
            if (
                not same_article
                and similar
                and not other.conflict
                and not _disagree(best.sentence, other.sentence)
            ):
                claims[0].append(other.sentence)
                used.add(i)
                break
        kind = query.kind
        wants_more = kind in (AnswerType.LIST, AnswerType.REASON, AnswerType.OTHER, AnswerType.NUMBER)
        ratio = params.second_claim_ratio - (params.list_ratio_discount if kind is AnswerType.LIST else 0.0)
        for i, other in enumerate(ranked[1:] if wants_more else [], start=1):
            if i in used or other.conflict or other.score < ratio * best.score:
                continue  # a passage that breaks the question's year or series answers another question
            if query.needs_type and not other.typed:
                continue
            differs = kind is AnswerType.NUMBER and _disagree(best.sentence, other.sentence)
            if kind is AnswerType.NUMBER and not differs:
                continue
            # a near-copy repeats the claim, unless it gives another figure: then the figure changed
            near_copy = float(vectors[i] @ vectors[0]) >= params.near_duplicate_similarity and not differs
            if near_copy or _words(other) < params.second_claim_lexical * _words(best):
                continue
            claims.append([self._extended(other, query)])
            used.add(i)
            break
        differ = kind is AnswerType.NUMBER and len(claims) > 1
        if len(claims) == 1:
            claims.extend(self._other_sources(query, evidence, ranked, vectors, used))
        return claims, differ

    def _other_sources(
        self, query: Query, evidence: Evidence, ranked: list[Candidate], vectors: np.ndarray, used: set[int]
    ) -> list[list[Sentence]]:
        """For a question spanning several articles: the best sentence of another article that covers more."""
        first = window_tokens(evidence.windows[0]) if evidence.windows else set()
        for i, other in enumerate(ranked[1:], start=1):
            if i in used or other.sentence.article.article_id == ranked[0].sentence.article.article_id:
                continue
            if other.conflict or float(vectors[i] @ vectors[0]) >= self.params.near_duplicate_similarity:
                continue
            gain = coverage(query, first | other.tokens) - coverage(query, first)
            if gain >= self.params.source_gain and self._on_subject(query, other.sentence):
                return [[other.sentence]]
        return []

    def _on_subject(self, query: Query, sentence: Sentence) -> bool:
        """The sentence, with its neighbours and headline, names one of the names the question names (any
        sentence will do when it names none): another article's "expected" does not answer about Northwind."""
        names = query.constraints.names
        if not names:
            return True
        around = window_tokens(self.pool.window(sentence))
        return any(mentions(query, name, around) for name in names)

    def compose(self, query: Query, evidence: Evidence, decision: Decision, confidence: float) -> Draft:
        """The cited answer, the closest passage said as such, or a plain decline."""
        if decision is not Decision.ANSWER or evidence.best is None:
            return self._not_answered(evidence, decision, confidence)
        claims, differ = self._claims(query, evidence)
        if differ:  # a figure that changed: the newest report first, the earlier ones after it
            claims = newest_first(claims)
        superseded = differ and _superseded(claims)
        citations: list[Citation] = []
        parts: list[str] = []
        quoted: list[Sentence] = []
        elsewhere = [c.sentence.text for c in evidence.candidates]
        for number, claim in enumerate(claims):
            first = len(citations) + 1
            markers = "".join(f"[{first + i}]" for i in range(len(claim)))
            lead = as_of(claim[0].article) if number == 0 else earlier(claim[0].article) if superseded else ""
            short = (
                short_answer(query, claim[0], self.pool, elsewhere) if number == 0 and not differ else None
            )
            said = (
                prompts.SHORT_ANSWER.format(answer=short[:1].upper() + short[1:].rstrip(".")) if short else ""
            )
            lead = " ".join(filter(None, [said, lead]))
            part = f"{clip(claim[0].text, self.params.max_claim_chars)} {markers}"
            part = f"{lead} {part}" if lead else part
            if parts and len(" ".join(parts)) + len(part) > self.params.max_answer_chars:
                break
            citations.extend(citation(first + i, sentence) for i, sentence in enumerate(claim))
            quoted.extend(claim)
            parts.append(part)
        text = " ".join(parts)
        if differ and len(parts) > 1 and not superseded:
            text = f"{prompts.SOURCES_DIFFER} {text}"
        return Draft(text, tuple(citations), False, confidence, Decision.ANSWER, tuple(quoted))
