"""What one eval run observed, question by question: plain frozen records, ready for JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitationRecord:
    """One citation of an answer, with whether its quote is verbatim in the article file."""

    n: int
    file_name: str
    article_id: str
    quote: str
    start_char: int
    end_char: int
    verbatim: bool


@dataclass(frozen=True)
class QuestionRecord:
    """Everything observed for one question: the answer, its citations, ranks, verdicts and latency."""

    id: str
    type: str
    question: str
    answers: tuple[str, ...]
    answers_all: tuple[str, ...]
    sources: tuple[str, ...]
    unanswerable: bool
    answer: str
    abstained: bool
    correct: bool
    citations: tuple[CitationRecord, ...]
    citations_valid: bool | None  # None when nothing was answered
    citation_supports: bool | None  # None unless an answerable question was answered
    retrieval_rank: int | None  # 1-based rank of the engine's first hit from a source (None: not among them)
    retrieved_files: tuple[str, ...]  # the file of each hit the engine's trace holds, best first
    latency_ms: float
    mode: str = ""
    decision: str | None = None  # the trace's "answer" / "closest" / "decline"; None without a trace
    confidence: float | None = None  # the trace's confidence in its decision
    warmup: bool = False  # the run's first question: its latency is left out of the percentiles
    resolved_question: str | None = None
    conversation_id: str | None = None
    turn: int | None = None
    error: str | None = None
