"""Run a question set through the answering engine and record, per question, what happened.

Each question is asked with ``engine.ask`` (conversation turns with the conversation so far). Where the
source articles rank is read from the answer's trace, i.e. from the search the engine itself ran (rank =
position + 1), never from a second search of our own. Every citation is checked against the article's
text. The records are then summarised by :mod:`eval.aggregate`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from eval import metrics
from eval.aggregate import MetricSet, summarise
from eval.questionset import ConversationCase, EvalQuestion
from eval.records import CitationRecord, QuestionRecord
from retrieval.types import Answer, Citation


class Engine(Protocol):
    """What the runner needs of an answering engine (``retrieval.AnswerEngine`` fits)."""

    def ask(self, question: str, conversation: Any = None, *, as_of: date | None = None) -> Answer:
        """Answer one question, optionally as a follow-up in ``conversation``, as asked on ``as_of``."""
        ...


class ArticleTexts(Protocol):
    """What the runner needs of an index (``retrieval.Index`` fits): the text citations must quote."""

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
    """A finished run of one question set: per-question records, the metrics overall and per question type."""

    records: tuple[QuestionRecord, ...]
    overall: MetricSet
    by_type: dict[str, MetricSet]
    started_at: str
    duration_s: float
    questions_file: str | None = None
    conversations_file: str | None = None
    suite: str = "custom"


def _new_conversation() -> ConversationState:
    from retrieval import Conversation  # the real one, imported only when a run needs it

    conversation: ConversationState = Conversation()
    return conversation


def _citation_record(citation: Citation, index: ArticleTexts) -> CitationRecord:
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
    question: EvalQuestion, answer: Answer, latency_ms: float, index: ArticleTexts
) -> QuestionRecord:
    """Score one answer, and the hits its trace says the engine retrieved, against what ``question`` expects."""
    citations = tuple(_citation_record(citation, index) for citation in answer.citations)
    answered = not answer.abstained
    citations_valid = (bool(citations) and all(c.verbatim for c in citations)) if answered else None
    supports = None
    if answered and not question.unanswerable:
        quotes = [c.quote for c in citations]
        supports = metrics.quotes_support(quotes, question.answers, question.answers_all)
    trace = answer.trace
    retrieved_files = tuple(hit.article.file_name for hit in trace.hits) if trace is not None else ()
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
        decision=trace.decision if trace is not None else None,
        confidence=trace.confidence if trace is not None else None,
        resolved_question=answer.resolved_question,
        conversation_id=question.conversation_id,
        turn=question.turn,
    )


def _failed_record(question: EvalQuestion, error: Exception, latency_ms: float) -> QuestionRecord:
    """The record of a question whose ask raised: wrong, and the error kept."""
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
    question: EvalQuestion, engine: Engine, index: ArticleTexts, conversation: ConversationState | None = None
) -> tuple[QuestionRecord, Answer | None]:
    """Ask and score one question; an exception becomes a failed record, not a crash."""
    started = time.perf_counter()
    try:
        when = {"as_of": question.asked_on} if question.asked_on else {}  # engines without dates still fit
        answer = engine.ask(question.question, conversation=conversation, **when)
    except Exception as exc:  # the eval must report a crashing engine, not die on its first crash
        return _failed_record(question, exc, (time.perf_counter() - started) * 1000), None
    latency_ms = (time.perf_counter() - started) * 1000
    return evaluate_answer(question, answer, latency_ms, index), answer


@contextmanager
def _progress_bar(total: int, enabled: bool, name: str) -> Iterator[Callable[[str], None]]:
    """Yield an ``advance(label)`` callable, drawing a rich progress bar when ``enabled``."""
    if not enabled:
        yield lambda _label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"[bold]eval {name}[/] {{task.description}}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)
        yield lambda label: bar.update(task, advance=1, description=label)


def run_eval(
    engine: Engine,
    index: ArticleTexts,
    questions: Sequence[EvalQuestion],
    conversations: Sequence[ConversationCase] = (),
    *,
    progress: bool = False,
    new_conversation: Callable[[], ConversationState] = _new_conversation,
    questions_file: str | None = None,
    conversations_file: str | None = None,
    suite: str = "custom",
) -> EvalReport:
    """Ask every question and every conversation turn; return the records and their metrics.

    The first question warms the engine up (caches, lazy loads): its record is kept and scored, but
    flagged ``warmup`` and left out of the latency percentiles.
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    records: list[QuestionRecord] = []
    total = len(questions) + sum(len(case.turns) for case in conversations)
    with _progress_bar(total, progress, suite) as advance:
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
    if records:
        records[0] = dataclasses.replace(records[0], warmup=True)
    overall, by_type = summarise(records)
    return EvalReport(
        records=tuple(records),
        overall=overall,
        by_type=by_type,
        started_at=started_at,
        duration_s=time.perf_counter() - started,
        questions_file=questions_file,
        conversations_file=conversations_file,
        suite=suite,
    )
