"""The floors' rule: generated from a report, they pass it, forgive one question, and catch two."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_support import record, report_of

from eval.floors import floor_of, main, question_worth, thresholds_toml
from eval.gate import check, load_thresholds
from eval.records import QuestionRecord
from eval.report import run_dict
from eval.suite_run import EvalRun, SuiteOutcome
from eval.suites import builtin_suites


def _records(right: int, declined: int, wrong: int, unanswerable_declined: int) -> list[QuestionRecord]:
    records = [record(f"r{n}", correct=True, rank=1) for n in range(right)]
    records += [record(f"d{n}", abstained=True, rank=2) for n in range(declined)]
    records += [record(f"w{n}", rank=None) for n in range(wrong)]
    records += [
        record(f"u{n}", kind="unanswerable", unanswerable=True, abstained=True, correct=True)
        for n in range(unanswerable_declined)
    ]
    return records


def _run(records: list[QuestionRecord], suite: str = "rgb") -> EvalRun:
    outcome = SuiteOutcome(builtin_suites()[suite], report=report_of(records, suite))
    return EvalRun((outcome,), "2024-01-01T00:00:00+00:00", 1.0)


def test_one_question_is_worth_the_most_it_can_move_the_figure() -> None:
    data = json.loads(json.dumps(run_dict(_run(_records(6, 2, 2, 10)))))["suites"][0]["records"]
    assert question_worth("accuracy", data) == pytest.approx(1 / 10)
    assert question_worth("abstention_recall", data) == pytest.approx(1 / 10)
    assert question_worth("crag_score", data) == pytest.approx(2 / 20)
    assert question_worth("citation_support", data) == pytest.approx(1 / 8)  # answered answerable ones
    assert question_worth("abstention_precision", data) == pytest.approx(1 / 12)


@pytest.mark.parametrize(
    ("reached", "worth", "target", "floor"),
    [
        (0.6, 0.1, 0.8, 0.5),  # below the target: what it reaches, minus one question
        (0.95, 0.1, 0.8, 0.7),  # above the target: the target, minus one question
        (0.7863, 0.0076, None, 0.778),  # no target; rounded down to 3 decimals
        (0.05, 0.1, 0.8, 0.0),  # never below the least value
    ],
)
def test_floor_of(reached: float, worth: float, target: float | None, floor: float) -> None:
    assert floor_of(reached, worth, target) == pytest.approx(floor)


def test_crag_floors_may_be_negative_but_not_below_minus_one() -> None:
    assert floor_of(-0.2083, 2 / 48, 0.5, least=-1.0) == pytest.approx(-0.25)
    assert floor_of(-0.99, 0.1, 0.5, least=-1.0) == -1.0


def test_generated_floors_forgive_one_question_and_catch_two(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(run_dict(_run(_records(6, 2, 2, 10)))), encoding="utf-8")
    written = tmp_path / "thresholds.toml"
    written.write_text(thresholds_toml(json.loads(report.read_text(encoding="utf-8"))), encoding="utf-8")
    rules = load_thresholds(written).for_suite("rgb")
    assert {"accuracy", "abstention_recall", "crag_score", "hit_at_1"} <= {rule.metric for rule in rules}

    def passes(records: list[QuestionRecord]) -> bool:
        return check(report_of(records, "rgb"), rules).passed

    assert passes(_records(6, 2, 2, 10))  # what the floors were made from
    assert passes(_records(5, 2, 3, 10))  # one answer lost
    assert not passes(_records(4, 2, 4, 10))  # two answers lost
    assert passes(
        [*_records(6, 2, 2, 9), record("u9", unanswerable=True, kind="unanswerable")]
    )  # one decline lost
    assert not passes(
        _records(6, 2, 2, 8) + [record(f"u{n}", unanswerable=True, kind="unanswerable") for n in (8, 9)]
    )


def test_the_command_prints_a_thresholds_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(run_dict(_run(_records(3, 0, 1, 2), "multihop"))), encoding="utf-8")
    main([str(report)])
    text = capsys.readouterr().out
    assert "[suites.multihop.min]" in text and "target 0.75" in text
    assert "[suites.rgb.min]" not in text  # only the suites the report ran
