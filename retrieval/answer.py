"""The answering engine: question in, short cited :class:`Answer` out.

    question ─ clean ─ resolve follow-up ─ hybrid search ─ composer ─ verify citations ─ Answer
                                                             │ (generative fails or cites badly)
                                                             └──────────── extractive fallback

"Cannot answer" is a normal result (``abstained=True``), never an exception.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from retrieval import prompts
from retrieval.aliases import expand
from retrieval.citations import verified
from retrieval.config import Settings
from retrieval.conversation import Conversation
from retrieval.errors import LLMError, QueryError
from retrieval.extractive import Draft, ExtractiveComposer, merge
from retrieval.index import Index
from retrieval.language import is_clearly_not_english
from retrieval.passages import SentencePool
from retrieval.types import Answer, Hit, Trace

log = logging.getLogger(__name__)
SEARCH_K = 8
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


class Composer(Protocol):
    """Anything that turns retrieved hits into a draft answer."""

    mode: str

    def compose(self, question: str, resolved: str, hits: Sequence[Hit]) -> Draft:
        """A draft answer to ``question`` from ``hits`` (``resolved`` is the follow-up-resolved form)."""
        ...


class AnswerEngine:
    """Answers questions from an :class:`Index`, extractively unless given another composer."""

    def __init__(
        self, index: Index, settings: Settings | None = None, composer: Composer | None = None
    ) -> None:
        self.index = index
        self.settings = settings or index.settings
        self.extractive = ExtractiveComposer(SentencePool(index), self.settings.abstain_threshold)
        self.composer: Composer = composer or self.extractive

    def _canned(self, question: str, text: str, started: float) -> Answer:
        return Answer(
            question=question,
            text=text,
            abstained=True,
            mode=self.composer.mode,
            timings_ms=(("total", _ms(started)),),
        )

    def resolve(self, question: str, conversation: Conversation | None) -> str:
        """The follow-up read in context (the composer may do better, e.g. with a language model)."""
        condense = getattr(self.composer, "condense", None)
        if conversation is None or not conversation.turns:
            return question
        if condense is not None:
            try:
                return str(condense(question, conversation))
            except LLMError as exc:
                log.warning(
                    "condensing the follow-up failed (%s); using the extractive resolution",
                    type(exc).__name__,
                )
        return conversation.resolve(question)

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer ``question`` (in the context of ``conversation``, if given) with verified citations."""
        started = time.perf_counter()
        original = question if isinstance(question, str) else ""
        text = " ".join(original.split())
        if not text:
            return self._canned(original, prompts.EMPTY_QUESTION, started)
        if not _HAS_WORDS.search(text):
            return self._canned(original, prompts.NO_WORDS, started)
        if is_clearly_not_english(text) and self.index.corpus_is_english():  # never a confident wrong answer
            return self._canned(original, prompts.OTHER_LANGUAGE, started)
        text = text[: self.settings.max_question_chars]
        timings: list[tuple[str, float]] = []

        parts = split_compound(text) if self.composer is self.extractive else [text]
        if len(parts) > 1:  # each part is searched on its own: a search of the whole would go unused
            return self._ask_parts(original, parts, conversation, started)

        resolved = self.resolve(text, conversation)
        stage = time.perf_counter()
        query = expand(resolved)
        try:
            hits = self.index.search(query, k=SEARCH_K)
        except QueryError:
            return self._canned(original, prompts.EMPTY_QUESTION, started)
        timings.append(("retrieve", _ms(stage)))
        if not hits:
            return self._nothing_found(original, started)

        stage = time.perf_counter()
        mode = self.composer.mode
        subject = conversation.subject(text) if conversation else None
        draft = self._compose(self.composer, text, resolved, hits, subject)
        if draft is None and self.composer is not self.extractive:
            mode = self.extractive.mode
            draft = self._compose(self.extractive, text, resolved, hits, subject)
        timings.append(("compose", _ms(stage)))
        if draft is None:  # the extractive composer only cites verbatim sentences; this is a bug if reached
            log.error("extractive answer failed verification for %r", text[:80])
            return self._canned(original, prompts.ABSTAIN, started)
        timings.append(("total", _ms(started)))
        return Answer(
            question=original,
            text=draft.text,
            citations=draft.citations,
            abstained=draft.abstained,
            mode=mode,
            timings_ms=tuple(timings),
            resolved_question=resolved if resolved != text else None,
            trace=Trace(
                query=query,
                hits=tuple(hits),
                decision="decline" if draft.abstained else "answer",
                confidence=draft.confidence,
            ),
        )

    def _nothing_found(self, original: str, started: float) -> Answer:
        """No passage at all: say whether the index is empty or the articles just don't say."""
        empty = self.index.stats().articles == 0
        return self._canned(original, prompts.NOTHING_INDEXED if empty else prompts.ABSTAIN, started)

    def _ask_parts(
        self, original: str, parts: list[str], conversation: Conversation | None, started: float
    ) -> Answer:
        """Answer each part of a compound question and join the answers."""
        drafts = []
        all_hits: list[Hit] = []
        queries: list[str] = []
        found_any = False
        context = conversation or Conversation()
        for part in parts:
            resolved = context.resolve(part)  # "… and who co-wrote it with him?" leans on the first part
            queries.append(expand(resolved))
            hits = self.index.search(queries[-1], k=SEARCH_K)
            all_hits.extend(h for h in hits if h.chunk_id not in {seen.chunk_id for seen in all_hits})
            found_any = found_any or bool(hits)
            draft = self.extractive.compose(part, resolved, hits, max_claims=1)
            drafts.append(draft)
            context = context.add(
                Answer(question=part, text=draft.text, abstained=draft.abstained, resolved_question=resolved)
            )
        if not found_any:
            return self._nothing_found(original, started)
        merged = merge(drafts)
        checked = verified(merged.text, merged.citations, self.index.article_text)
        if checked is None:  # pragma: no cover - extractive quotes are cut from the articles themselves
            return self._canned(original, prompts.ABSTAIN, started)
        return Answer(
            question=original,
            text=checked[0],
            citations=checked[1],
            abstained=merged.abstained,
            mode=self.extractive.mode,
            timings_ms=(("total", _ms(started)),),
            trace=Trace(
                query=" | ".join(queries),
                hits=tuple(all_hits),
                decision="decline" if merged.abstained else "answer",
                confidence=merged.confidence,
            ),
        )

    def _compose(
        self, composer: Composer, question: str, resolved: str, hits: Sequence[Hit], subject: str | None
    ) -> Draft | None:
        """The composer's draft with citations verified and renumbered, or None when it cannot be trusted."""
        try:
            if composer is self.extractive:
                draft = self.extractive.compose(question, resolved, hits, subject=subject)
            else:
                draft = composer.compose(question, resolved, hits)
        except LLMError as exc:
            log.warning("the %s composer failed (%s); falling back", composer.mode, type(exc).__name__)
            return None
        checked = verified(draft.text, draft.citations, self.index.article_text)
        if checked is None:
            log.warning("the %s composer cited text that is not in the articles; falling back", composer.mode)
            return None
        return replace(draft, text=checked[0], citations=checked[1])


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def build_engine(settings: Settings, index: Index) -> AnswerEngine:
    """The engine the settings ask for: generative when an LLM endpoint is configured, else extractive."""
    if settings.llm_enabled:
        from retrieval.generative import GenerativeComposer

        return AnswerEngine(index, settings, GenerativeComposer(settings))
    return AnswerEngine(index, settings)
