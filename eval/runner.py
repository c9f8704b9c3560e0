"""Run a question set through the answering engine and record, per question, what happened.

Each question is asked with ``engine.ask`` (conversation turns with the conversation so far) and searched
with ``index.search(question, k=10)`` to see where its source articles rank. Every citation is checked
against the article file's text. The records are then summarised by :mod:`eval.aggregate`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eval import metrics
from eval.aggregate import MetricSet, summarise
from eval.questionset import ConversationCase, EvalQuestion
from eval.records import CitationRecord, QuestionRecord
from retrieval.types import Answer, Citation, Hit

SEARCH_K = 10


class Engine(Protocol):
    """What the runner needs of an answering engine (``retrieval.AnswerEngine`` fits)."""

    def ask(self, question: str, conversation: Any = None) -> Answer:
        """Answer one question, optionally as a follow-up in ``conversation``."""
        ...


class SearchIndex(Protocol):
    """What the runner needs of an index (``retrieval.Index`` fits)."""

    def search(self, question: str, k: int = ...) -> Sequence[Hit]:
        """The best chunks for ``question``, best first."""
        ...

    def article_text(self, article_id: str) -> str:
        """The full text of one article, as citations quote it."""
        ...


class ConversationState(Protocol):
    """An immutable conversation that returns a new one with each answer added."""

    def add(self, answer: Answer) -> ConversationState:
        """This conversation with ``answer`` appended."""
        ...


@dataclass(frozen=True)
class EvalReport:
    """A finished eval run: per-question records and the metrics overall and per question type."""

    records: tuple[QuestionRecord, ...]
    overall: MetricSet
    by_type: dict[str, MetricSet]
    started_at: str
    duration_s: float
    questions_file: str | None = None
    conversations_file: str | None = None


def _new_conversation() -> ConversationState:
    from retrieval import Conversation  # the real one, imported only when a run needs it

    conversation: ConversationState = Conversation()
    return conversation


def _citation_record(citation: Citation, index: SearchIndex) -> CitationRecord:
    try:
        article_text = index.article_text(citation.article_id)
    except Exception:  # an unknown article id makes the citation invalid, not the run
        article_text = ""
    verbatim = metrics.quote_is_verbatim(article_text, citation.quote, citation.start_char, citation.end_char)
    return CitationRecord(
        n=citation.n,
        file_name=citation.file_name,
        article_id=citation.article_id,
        quote=citation.quote,
        start_char=citation.start_char,
        end_char=citation.end_char,
        verbatim=verbatim,
    )


def evaluate_answer(
    question: EvalQuestion, answer: Answer, hits: Sequence[Hit], latency_ms: float, index: SearchIndex
) -> QuestionRecord:
    """Score one answer and its search hits against what ``question`` expects."""
    citations = tuple(_citation_record(citation, index) for citation in answer.citations)
    answered = not answer.abstained
    citations_valid = (bool(citations) and all(c.verbatim for c in citations)) if answered else None
    supports = None
    if answered and not question.unanswerable:
        quotes = [c.quote for c in citations]
        supports = metrics.quotes_support(quotes, question.answers, question.answers_all)
    retrieved_files = tuple(hit.article.file_name for hit in hits)
    return QuestionRecord(
        id=question.id,
        type=question.type,
        question=question.question,
        answers=question.answers,
        answers_all=question.answers_all,
        sources=question.sources,
        unanswerable=question.unanswerable,
        answer=answer.text,
        abstained=answer.abstained,
        correct=metrics.is_correct(
            answer.text, answer.abstained, question.answers, question.answers_all, question.unanswerable
        ),
        citations=citations,
        citations_valid=citations_valid,
        citation_supports=supports,
        retrieval_rank=metrics.first_rank(retrieved_files, question.sources) if question.sources else None,
        retrieved_files=retrieved_files,
        latency_ms=latency_ms,
        mode=answer.mode,
        resolved_question=answer.resolved_question,
        conversation_id=question.conversation_id,
        turn=question.turn,
    )


def _failed_record(question: EvalQuestion, error: Exception, latency_ms: float) -> QuestionRecord:
    """The record of a question whose ask or search raised: wrong, and the error kept."""
    return QuestionRecord(
        id=question.id,
        type=question.type,
        question=question.question,
        answers=question.answers,
        answers_all=question.answers_all,
        sources=question.sources,
        unanswerable=question.unanswerable,
        answer="",
        abstained=False,
        correct=False,
        citations=(),
        citations_valid=None,
        citation_supports=None,
        retrieval_rank=None,
        retrieved_files=(),
        latency_ms=latency_ms,
        conversation_id=question.conversation_id,
        turn=question.turn,
        error=f"{type(error).__name__}: {error}",
    )


def ask_one(
    question: EvalQuestion, engine: Engine, index: SearchIndex, conversation: ConversationState | None = None
) -> tuple[QuestionRecord, Answer | None]:
    """Ask, search and score one question; an exception becomes a failed record, not a crash."""
    started = time.perf_counter()
    try:
        answer = engine.ask(question.question, conversation=conversation)
    except Exception as exc:  # the eval must report a crashing engine, not die on its first crash
        return _failed_record(question, exc, (time.perf_counter() - started) * 1000), None
    latency_ms = (time.perf_counter() - started) * 1000
    try:
        hits = (
            index.search(answer.resolved_question or question.question, k=SEARCH_K)
            if question.sources
            else []
        )
    except Exception as exc:
        return _failed_record(question, exc, latency_ms), answer
    return evaluate_answer(question, answer, hits, latency_ms, index), answer


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    """Yield an ``advance(label)`` callable, drawing a rich progress bar when ``enabled``."""
    if not enabled:
        yield lambda _label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]eval[/] {task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)
        yield lambda label: bar.update(task, advance=1, description=label)


def run_eval(
    engine: Engine,
    index: SearchIndex,
    questions: Sequence[EvalQuestion],
    conversations: Sequence[ConversationCase] = (),
    *,
    progress: bool = False,
    new_conversation: Callable[[], ConversationState] = _new_conversation,
    questions_file: str | None = None,
    conversations_file: str | None = None,
) -> EvalReport:
    """Ask every question and every conversation turn; return the records and their metrics."""
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    records: list[QuestionRecord] = []
    total = len(questions) + sum(len(case.turns) for case in conversations)
    with _progress_bar(total, progress) as advance:
        for question in questions:
            record, _ = ask_one(question, engine, index)
            records.append(record)
            advance(question.id)
        for case in conversations:
            conversation = new_conversation()
            for turn in case.turns:
                record, answer = ask_one(turn, engine, index, conversation)
                records.append(record)
                if answer is not None:
                    conversation = conversation.add(answer)
                advance(turn.id)
    overall, by_type = summarise(records)
    return EvalReport(
        records=tuple(records),
        overall=overall,
        by_type=by_type,
        started_at=started_at,
        duration_s=time.perf_counter() - started,
        questions_file=questions_file,
        conversations_file=conversations_file,
    )
