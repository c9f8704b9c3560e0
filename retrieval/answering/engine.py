"""The answering engine: question in, short cited :class:`Answer` out.

    question ─ Query ─ retrieve ─ rank ─ gather evidence ─ decide ─ compose ─ verify ─ Answer
                                                                      │ (a composer fails or cites badly)
                                                                      └── the next composer (extractive)

"Cannot answer" is a normal result (``abstained=True``), never an exception. Every answer carries its
:class:`Trace`: what was searched, what ranked where, which sentences were weighed, and why it decided so.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from retrieval import prompts
from retrieval.answering.compose import Composer, Draft, ExtractiveComposer, merge
from retrieval.answering.decide import decide
from retrieval.answering.evidence import Evidence, gather
from retrieval.answering.params import Params, load_params
from retrieval.answering.query import Query, build_query, question_of
from retrieval.answering.rank import rank
from retrieval.answering.stream import StreamingComposer, TextCallback, readable
from retrieval.answering.when import TimeScope, spoken, time_scope
from retrieval.citations import verified
from retrieval.config import Settings
from retrieval.conversation import Conversation
from retrieval.errors import LLMError, QueryError
from retrieval.index import Index
from retrieval.language import is_clearly_not_english
from retrieval.passages import SentencePool
from retrieval.types import Answer, Hit, SearchFilters, Trace, TracedSentence

log = logging.getLogger(__name__)
_HAS_WORDS = re.compile(r"[^\W_]", re.UNICODE)
# "X, and who/what … Y?" or "X? What … Y?": a compound question, answered part by part.
_COMPOUND = re.compile(
    r"(?:,\s*and\s+|\s+and\s+(?=(?:who|what|when|where|which|how|why|in which|on what)\b)|\?\s+)"
    r"(?=(?:who|what|when|where|which|how|why|in|on|and)\b)",
    re.IGNORECASE,
)
MAX_PARTS = 3


def split_compound(question: str) -> list[str]:
    """The parts of a compound question ("Who is A, and what did B say?"), or the question alone."""
    parts = [p.strip(" ,?") for p in _COMPOUND.split(question)]
    parts = [f"{p}?" for p in parts if len(p.split()) >= 3]
    return parts[:MAX_PARTS] if len(parts) > 1 else [question]


class AnswerEngine:
    """Answers questions from an :class:`Index` with the first composer whose answer passes the check."""

    def __init__(
        self,
        index: Index,
        settings: Settings | None = None,
        composer: Composer | None = None,
        params: Params | None = None,
    ) -> None:
        self.index = index
        self.settings = settings or index.settings
        self.params = params or load_params()
        self.pool = SentencePool(index)
        extractive = ExtractiveComposer(self.pool, self.params)
        # Tried in order; the extractive composer, which only ever quotes, is always the last resort.
        self.composers: tuple[Composer, ...] = (composer, extractive) if composer else (extractive,)

    @property
    def mode(self) -> str:
        """How answers are composed first: "extractive" or "generative"."""
        return self.composers[0].mode

    def _canned(self, question: str, text: str, started: float) -> Answer:
        return Answer(
            question=question,
            text=text,
            abstained=True,
            mode=self.mode,
            timings_ms=(("total", _ms(started)),),
        )

    def resolve(self, question: str, conversation: Conversation | None) -> str:
        """The follow-up read in context (a composer with a language model may rewrite it better)."""
        if conversation is None or not conversation.turns:
            return question
        for composer in self.composers:
            try:
                condensed = composer.condense(question, conversation)
            except LLMError as exc:
                log.warning("condensing the follow-up failed (%s)", type(exc).__name__)
                continue
            if condensed:
                return condensed
        return conversation.resolve(question)

    def query(
        self, text: str, conversation: Conversation | None = None, asked_on: date | None = None
    ) -> Query:
        """The question read once, in the context of ``conversation``, as asked on ``asked_on`` (today)."""
        resolved = self.resolve(text, conversation)
        subject = conversation.subject(text) if conversation else None
        return build_query(text, resolved, self.index, subject, self.params.context_weight, asked_on)

    def retrieve(self, query: Query) -> list[Hit]:
        """The chunks the hybrid search finds for ``query`` (only articles dated in its window, if any)."""
        scope = query.scope
        filters = SearchFilters(published_from=scope.start, published_to=scope.end) if scope.window else None
        return self.index.search(query.search_text, k=self.params.search_k, filters=filters)

    def evidence(self, query: Query, hits: Sequence[Hit]) -> Evidence:
        """Rank the sentences of ``hits`` and gather the evidence the decision reads."""
        return gather(
            query, hits, rank(query, hits, self.pool, self.params), self.pool, self.params.max_sources
        )

    def _article_text(self, article_id: str) -> str:
        """An article's text for the citation check, from the sentence pool's copy: an article id is the hash of
        its text, so the copy read for this answer is the article as stored."""
        return self.pool.article(article_id)[0]

    def ask(
        self,
        question: str,
        conversation: Conversation | None = None,
        *,
        as_of: date | None = None,
        on_text: TextCallback | None = None,
    ) -> Answer:
        """Answer ``question`` (in the context of ``conversation``, if given) with verified citations.

        ``as_of`` is the day the question is asked (default: today): "last week" and "the latest" are read
        against it and the articles' dates. ``on_text``, if given, sees the answer text while a language
        model writes it (plain text, no markers; never called for extractive answers, which come whole);
        the Answer returned is the same.
        """
        started = time.perf_counter()
        original = question if isinstance(question, str) else ""
        text = " ".join(original.split())
        if not text:
            return self._canned(original, prompts.EMPTY_QUESTION, started)
        if not _HAS_WORDS.search(text):
            return self._canned(original, prompts.NO_WORDS, started)
        if is_clearly_not_english(text) and self.index.corpus_is_english():  # never a confident wrong answer
            return self._canned(original, prompts.OTHER_LANGUAGE, started)
        text = question_of(text[: self.settings.max_question_chars])
        parts = split_compound(text)
        context = conversation or Conversation()
        drafts: list[tuple[Draft, Query, Evidence]] = []
        timings: dict[str, float] = {}
        for part in parts:
            try:
                result = self._answer_part(
                    part,
                    context if len(parts) > 1 or conversation else None,
                    timings,
                    as_of,
                    _after([d.text for d, _, _ in drafts], on_text),
                )
            except QueryError:
                return self._canned(original, prompts.EMPTY_QUESTION, started)
            if result is None:
                continue
            drafts.append(result)
            draft, query, _ = result
            if len(parts) > 1:  # "… and who co-wrote it with him?" leans on the first part
                context = context.add(
                    Answer(
                        question=part,
                        text=draft.text,
                        abstained=draft.abstained,
                        resolved_question=query.resolved,
                    )
                )
        if not drafts:
            return self._nothing_found(original, started, time_scope(text, as_of or date.today()))
        draft = merge([d for d, _, _ in drafts]) if len(drafts) > 1 else drafts[0][0]
        stage = time.perf_counter()
        checked = verified(draft.text, draft.citations, self._article_text)
        timings["verify"] = _ms(stage)
        if checked is None:  # pragma: no cover - every composer's draft was verified part by part
            log.error("a merged answer failed verification for %r", text[:80])
            return self._canned(original, prompts.ABSTAIN, started)
        timings["total"] = _ms(started)
        first_query = drafts[0][1]
        return Answer(
            question=original,
            text=checked[0],
            citations=checked[1],
            abstained=draft.abstained,
            mode=draft.mode,
            timings_ms=tuple(timings.items()),
            resolved_question=first_query.resolved
            if first_query.resolved != text and len(parts) == 1
            else None,
            trace=self._trace(drafts, draft),
        )

    def _answer_part(
        self,
        part: str,
        conversation: Conversation | None,
        timings: dict[str, float],
        asked_on: date | None = None,
        on_text: TextCallback | None = None,
    ) -> tuple[Draft, Query, Evidence] | None:
        """The verified draft for one question (or one part of a compound one); None when nothing matched."""
        stage = time.perf_counter()
        query = self.query(part, conversation, asked_on)
        hits = self.retrieve(query)
        timings["retrieve"] = timings.get("retrieve", 0.0) + _ms(stage)
        if not hits:
            return None
        stage = time.perf_counter()
        evidence = self.evidence(query, hits)
        decision, confidence = decide(query, evidence, self.pool, self.params)
        timings["decide"] = timings.get("decide", 0.0) + _ms(stage)
        stage = time.perf_counter()
        for composer in self._composers(on_text):
            try:
                draft = composer.compose(query, evidence, decision, confidence)
            except LLMError as exc:
                log.warning("the %s composer failed (%s); falling back", composer.mode, type(exc).__name__)
                continue
            checked = verified(draft.text, draft.citations, self._article_text)
            if checked is None:
                log.warning(
                    "the %s composer cited text that is not in the articles; falling back", composer.mode
                )
                continue
            timings["compose"] = timings.get("compose", 0.0) + _ms(stage)
            return replace(draft, text=checked[0], citations=checked[1], mode=composer.mode), query, evidence
        raise AssertionError("the extractive composer only quotes the articles")  # pragma: no cover

    def _composers(self, on_text: TextCallback | None) -> tuple[Composer, ...]:
        """The composers, those that can show an answer while it is written set to show it to ``on_text``."""
        if on_text is None:
            return self.composers
        return tuple(c.streaming(on_text) if isinstance(c, StreamingComposer) else c for c in self.composers)

    def _nothing_found(self, original: str, started: float, scope: TimeScope) -> Answer:
        """No passage at all: the index is empty, no article is dated in the question's window, or none says."""
        if self.index.stats().articles == 0:
            return self._canned(original, prompts.NOTHING_INDEXED, started)
        if scope.window:
            return self._canned(original, self._outside_window(scope), started)
        return self._canned(original, prompts.ABSTAIN, started)

    def _outside_window(self, scope: TimeScope) -> str:
        """Why a question about a span of time finds nothing: no article is dated in it."""
        dates = sorted(a.published for a in self.index.articles() if a.published is not None)
        if not dates:
            return prompts.NO_DATED_ARTICLES.format(phrase=scope.phrase)
        return prompts.OUTSIDE_WINDOW.format(
            phrase=scope.phrase, first=spoken(dates[0]), last=spoken(dates[-1])
        )

    @staticmethod
    def _trace(parts: Sequence[tuple[Draft, Query, Evidence]], draft: Draft) -> Trace:
        """What was searched and weighed, the parts of a compound question joined."""
        hits: list[Hit] = []
        seen: set[str] = set()
        sentences: list[TracedSentence] = []
        quoted = {(s.article.article_id, s.start_char) for s in draft.quoted}
        for _, _, evidence in parts:
            for hit in evidence.hits:
                if hit.chunk_id not in seen:
                    seen.add(hit.chunk_id)
                    hits.append(hit)
            for candidate in evidence.candidates:
                s = candidate.sentence
                sentences.append(
                    TracedSentence(
                        article=s.article,
                        start_char=s.start_char,
                        end_char=s.end_char,
                        score=round(candidate.score, 4),
                        chosen=(s.article.article_id, s.start_char) in quoted,
                    )
                )
        return Trace(
            query=" | ".join(q.search_text for _, q, _ in parts),
            hits=tuple(hits),
            sentences=tuple(sentences),
            decision=str(draft.decision),
            confidence=round(draft.confidence, 4),
        )


def _after(earlier: Sequence[str], on_text: TextCallback | None) -> TextCallback | None:
    """``on_text`` for the next part of a compound question: what the earlier parts said comes first."""
    if on_text is None or not earlier:
        return on_text
    said = readable(" ".join(earlier))
    return lambda text: on_text(f"{said} {text}")


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def build_engine(settings: Settings, index: Index) -> AnswerEngine:
    """The engine the settings ask for: generative when an LLM endpoint is configured, else extractive."""
    if settings.llm_enabled:
        from retrieval.answering.generative import GenerativeComposer

        return AnswerEngine(index, settings, GenerativeComposer(settings))
    return AnswerEngine(index, settings)
