"""Summarise per-question records into metrics, overall and per question type.

Denominators, so that every figure means one thing:

- ``accuracy``: answerable questions; right when answered (not abstained) with the expected text. This is
  the "answerable right" share of a CRAG-style report.
- ``correct_rate``: all questions; an unanswerable one is right when the engine abstained.
- ``decline_rate``: all questions; the share the engine declined (abstained on).
- ``crag_score``: all questions; the mean of :func:`eval.metrics.crag_points` (right +1, declined 0, wrong
  -1; on an unanswerable question declining is right and answering wrong), from -1 to +1.
- ``hit_at_1`` / ``hit_at_5`` / ``mrr``: answerable questions with sources, by the rank of the first hit
  (chunk) of the engine's own search (its trace) coming from one of the source articles.
- ``citation_validity``: answered questions; valid when there is a citation and every quote is verbatim.
- ``citation_support``: answered answerable questions; supported when the cited quotes hold the answer.
- ``abstention_*``: "abstain" is the positive class; unanswerable questions are the ones to abstain on.
  ``abstention_recall`` is the "unanswerable declined" share of a CRAG-style report.
- ``latency_*_ms``: time of ``engine.ask`` per question, warm: the run's first question is left out.

A figure with an empty denominator is ``None`` (not measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from eval import metrics
from eval.records import QuestionRecord


@dataclass(frozen=True)
class MetricSet:
    """The eval's figures over one group of records."""

    questions: int
    answerable: int
    unanswerable: int
    errors: int
    accuracy: float | None
    correct_rate: float | None
    decline_rate: float | None
    crag_score: float | None
    hit_at_1: float | None
    hit_at_5: float | None
    mrr: float | None
    citation_validity: float | None
    citation_support: float | None
    abstention_precision: float | None
    abstention_recall: float | None
    abstention_f1: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None


METRIC_NAMES: tuple[str, ...] = tuple(field.name for field in fields(MetricSet))


def _share(flags: Sequence[bool | None]) -> float | None:
    """Share of True among the flags that are not None."""
    measured = [flag for flag in flags if flag is not None]
    return metrics.ratio(sum(measured), len(measured))


def metric_set(records: Sequence[QuestionRecord]) -> MetricSet:
    """Compute every metric over ``records``."""
    answerable = [r for r in records if not r.unanswerable]
    ranked = [r.retrieval_rank for r in answerable if r.sources]
    abstained_right = sum(1 for r in records if r.unanswerable and r.abstained)
    abstained_wrong = sum(1 for r in answerable if r.abstained)
    answered_unanswerable = sum(1 for r in records if r.unanswerable and not r.abstained)
    precision, recall, f1 = metrics.abstention_scores(abstained_right, abstained_wrong, answered_unanswerable)
    latencies = [r.latency_ms for r in records if not r.warmup]
    points = [
        metrics.crag_points(unanswerable=r.unanswerable, declined=r.abstained, correct=r.correct)
        for r in records
    ]
    return MetricSet(
        questions=len(records),
        answerable=len(answerable),
        unanswerable=len(records) - len(answerable),
        errors=sum(1 for r in records if r.error is not None),
        accuracy=_share([r.correct for r in answerable]),
        correct_rate=_share([r.correct for r in records]),
        decline_rate=_share([r.abstained for r in records]),
        crag_score=sum(points) / len(points) if points else None,
        hit_at_1=metrics.hit_at(ranked, 1),
        hit_at_5=metrics.hit_at(ranked, 5),
        mrr=metrics.mean_reciprocal_rank(ranked),
        citation_validity=_share([r.citations_valid for r in records]),
        citation_support=_share([r.citation_supports for r in records]),
        abstention_precision=precision,
        abstention_recall=recall,
        abstention_f1=f1,
        latency_p50_ms=metrics.percentile(latencies, 0.50),
        latency_p95_ms=metrics.percentile(latencies, 0.95),
    )


def summarise(records: Sequence[QuestionRecord]) -> tuple[MetricSet, dict[str, MetricSet]]:
    """Metrics over all records, and per question type (types in first-seen order)."""
    by_type: dict[str, list[QuestionRecord]] = {}
    for record in records:
        by_type.setdefault(record.type, []).append(record)
    return metric_set(records), {name: metric_set(group) for name, group in by_type.items()}
