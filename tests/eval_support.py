"""Hand-built eval records and reports, for testing the eval's arithmetic without an engine."""

from __future__ import annotations

from collections.abc import Sequence

from eval.aggregate import summarise
from eval.records import QuestionRecord
from eval.runner import EvalReport


def record(
    record_id: str,
    *,
    kind: str = "who",
    unanswerable: bool = False,
    abstained: bool = False,
    correct: bool = False,
    rank: int | None = None,
    latency_ms: float = 10.0,
    warmup: bool = False,
) -> QuestionRecord:
    """One question's record; an answerable one names a source, an answered one cites verbatim."""
    answered = not abstained
    return QuestionRecord(
        id=record_id,
        type=kind,
        question=f"question {record_id}?",
        answers=() if unanswerable else ("X",),
        answers_all=(),
        sources=() if unanswerable else ("a.txt",),
        unanswerable=unanswerable,
        answer="" if abstained else ("X [1]" if correct else "Y [1]"),
        abstained=abstained,
        correct=correct,
        citations=(),
        citations_valid=True if answered else None,
        citation_supports=correct if answered and not unanswerable else None,
        retrieval_rank=rank,
        retrieved_files=(),
        latency_ms=latency_ms,
        warmup=warmup,
    )


def report_of(records: Sequence[QuestionRecord], suite: str = "custom") -> EvalReport:
    """An eval report over hand-built records."""
    overall, by_type = summarise(records)
    return EvalReport(
        records=tuple(records),
        overall=overall,
        by_type=by_type,
        started_at="2024-01-01T00:00:00+00:00",
        duration_s=1.0,
        suite=suite,
    )
