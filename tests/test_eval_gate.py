"""The per-suite gate on hand-built reports: common rules, each suite's own, and the bundled file."""

from __future__ import annotations

from typing import Any

import pytest
from eval_support import record, report_of

from eval.floors import TARGETS
from eval.gate import ThresholdError, Thresholds, check, load_thresholds, parse_thresholds
from eval.suites import SUITE_NAMES


def _report(suite: str, right: int, wrong: int) -> Any:
    records = [record(f"r{n}", correct=True, rank=1) for n in range(right)]
    records += [record(f"w{n}", rank=1) for n in range(wrong)]  # found, then answered wrong
    return report_of(records, suite)


RULES = {
    "max": {"errors": 0},
    "suites": {
        "rgb": {"min": {"accuracy": 0.75, "crag_score": 0.5}},
        "seeds": {"min": {"accuracy": 0.5}, "type": {"who": {"min": {"hit_at_1": 0.9}}}},
    },
}


def test_each_suite_keeps_the_common_rules_and_its_own() -> None:
    thresholds = parse_thresholds(RULES)
    assert [r.describe() for r in thresholds.for_suite("rgb")] == [
        "overall errors <= 0",
        "overall accuracy >= 0.75",
        "overall crag_score >= 0.5",
    ]
    assert [r.describe() for r in thresholds.for_suite("seeds")] == [
        "overall errors <= 0",
        "overall accuracy >= 0.5",
        "who hit_at_1 >= 0.9",
    ]
    assert [r.describe() for r in thresholds.for_suite("multihop")] == ["overall errors <= 0"]


def test_the_same_figures_pass_one_suite_and_fail_another() -> None:
    thresholds = parse_thresholds(RULES)
    seeds, rgb = (
        _report("seeds", right=6, wrong=4),
        _report("rgb", right=6, wrong=4),
    )  # accuracy 0.6, CRAG 0.2
    assert check(seeds, thresholds.for_suite("seeds")).passed
    failed = check(rgb, thresholds.for_suite("rgb"))
    assert [(f.threshold.metric, f.value) for f in failed.failures] == [
        ("accuracy", pytest.approx(0.6)),
        ("crag_score", pytest.approx(0.2)),
    ]
    assert failed.checked == 3 and not failed.skipped


def test_a_rule_for_an_unmeasured_type_is_skipped_not_passed() -> None:
    result = check(_report("seeds", right=2, wrong=0), parse_thresholds(RULES).for_suite("seeds"))
    assert result.passed  # the report's type is "who": its hit@1 is 1.0
    other = report_of([record("x", kind="what", correct=True, rank=1)], "seeds")
    result = check(other, parse_thresholds(RULES).for_suite("seeds"))
    assert [rule.scope for rule in result.skipped] == ["who"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"suites": {"rbg": {"min": {"accuracy": 0.5}}}}, "unknown suite 'rbg'"),
        ({"suites": {"rgb": {"floor": {"accuracy": 0.5}}}}, r"\[suites.rgb\] takes only"),
        ({"suites": {"rgb": {"min": {"acuracy": 0.5}}}}, "unknown metric 'acuracy'"),
        ({"suites": {"rgb": {"type": {"x": {"min": {"mrr": "high"}}}}}}, "must be a number"),
        ({"suites": ["rgb"]}, "one table per suite"),
    ],
)
def test_bad_suite_sections_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        parse_thresholds(data)


def test_the_bundled_thresholds_gate_every_suite_without_promising_above_the_targets() -> None:
    thresholds = load_thresholds()
    assert isinstance(thresholds, Thresholds)
    assert set(thresholds.suites) == set(SUITE_NAMES)
    for name in SUITE_NAMES:
        metrics = {rule.metric for rule in thresholds.suites[name] if rule.scope == "overall"}
        assert set(TARGETS[name]) <= metrics, name  # every target of the issue has its floor
        for rule in thresholds.suites[name]:
            target = TARGETS[name].get(rule.metric) if rule.scope == "overall" else None
            if target is not None:
                assert rule.limit < target, rule.describe()  # a floor sits at least a margin below its target
    assert {r.metric for r in thresholds.common} == {"errors", "citation_validity"}
