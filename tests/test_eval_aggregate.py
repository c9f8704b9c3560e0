"""The eval's summaries on hand-built records: CRAG score, decline rate, warm latency, ranks."""

from __future__ import annotations

import pytest
from eval_support import record

from eval.aggregate import metric_set, summarise


def test_crag_score_and_its_parts_over_a_hand_built_set() -> None:
    records = [
        record("a1", correct=True, rank=1),  # +1
        record("a2", correct=True, rank=3),  # +1
        record("a3", abstained=True, rank=2),  # 0: declined an answerable question
        record("a4", rank=None),  # -1: answered wrong
        record("u1", unanswerable=True, abstained=True, correct=True),  # +1
        record("u2", unanswerable=True),  # -1: answered an unanswerable question
    ]
    figures = metric_set(records)
    assert figures.crag_score == pytest.approx((1 + 1 + 0 - 1 + 1 - 1) / 6)
    assert figures.accuracy == pytest.approx(2 / 4)  # answerable right
    assert figures.abstention_recall == pytest.approx(1 / 2)  # unanswerable declined
    assert figures.decline_rate == pytest.approx(2 / 6)
    assert figures.hit_at_1 == pytest.approx(1 / 4)
    assert figures.hit_at_5 == pytest.approx(3 / 4)
    assert figures.mrr == pytest.approx((1 + 1 / 3 + 1 / 2) / 4)


def test_crag_score_runs_from_minus_one_to_one() -> None:
    assert (
        metric_set([record("a", correct=True), record("u", unanswerable=True, abstained=True)]).crag_score
        == 1
    )
    assert metric_set([record("a"), record("u", unanswerable=True)]).crag_score == -1
    assert metric_set([record("a", abstained=True)]).crag_score == 0
    assert metric_set([]).crag_score is None


def test_the_warm_up_question_is_left_out_of_the_latency_only() -> None:
    records = [
        record("first", correct=True, latency_ms=5000.0, warmup=True),
        *(record(f"q{n}", correct=True, latency_ms=10.0 * n) for n in range(1, 6)),
    ]
    figures = metric_set(records)
    assert figures.latency_p50_ms == pytest.approx(30.0)
    assert figures.latency_p95_ms == pytest.approx(48.0)
    assert figures.questions == 6 and figures.accuracy == 1.0  # still asked and scored
    assert metric_set(records[:1]).latency_p95_ms is None


def test_figures_per_type_use_the_same_rules() -> None:
    records = [
        record("w1", kind="who", correct=True),
        record("w2", kind="who", abstained=True),
        record("u1", kind="unanswerable", unanswerable=True, abstained=True),
    ]
    overall, by_type = summarise(records)
    assert list(by_type) == ["who", "unanswerable"]
    assert by_type["who"].crag_score == pytest.approx(0.5)
    assert by_type["unanswerable"].crag_score == 1.0
    assert by_type["unanswerable"].accuracy is None
    assert overall.decline_rate == pytest.approx(2 / 3)
