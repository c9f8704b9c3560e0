"""The run's views on hand-built outcomes: a skipped suite's line, the summary table, the JSON report."""

from __future__ import annotations

from pathlib import Path

from eval_support import record, report_of
from rich.console import Console

from eval.gate import check, parse_thresholds
from eval.recipe_speed import RecipeSpeed
from eval.report import print_run, run_dict
from eval.suite_run import EvalRun, SuiteOutcome
from eval.suites import builtin_suites


def _run(tmp_path: Path) -> EvalRun:
    suites = builtin_suites(tmp_path)
    records = [
        record("a", correct=True, rank=1, latency_ms=50.0, warmup=True),
        record("b", correct=True, rank=1, latency_ms=40.0),
        record("c", abstained=True, rank=2, latency_ms=60.0),
        record("u", kind="unanswerable", unanswerable=True, latency_ms=80.0),
    ]
    rgb = report_of(records, "rgb")
    recipe = RecipeSpeed(queries=3, k=5, p50_ms=10.0, p95_ms=20.0, nodes=4, ingest_s=0.5)
    gate = check(rgb, parse_thresholds({"suites": {"rgb": {"min": {"crag_score": 0.5}}}}).for_suite("rgb"))
    missing = f"no question set at {tmp_path / 'multihop' / 'questions.jsonl'}"
    outcomes = (
        SuiteOutcome(suites["rgb"], report=rgb, index_s=1.5, recipe=recipe, gate=gate),
        SuiteOutcome(suites["multihop"], skipped=missing),
    )
    return EvalRun(outcomes, "2024-01-01T00:00:00+00:00", 3.0)


def test_the_terminal_shows_each_suite_the_skipped_one_and_the_summary(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    print_run(_run(tmp_path), console)
    text = console.export_text()
    assert f"suite multihop skipped: no question set at {tmp_path / 'multihop' / 'questions.jsonl'}" in text
    assert "rgb: below threshold overall crag_score = 0.25, needs >= 0.5" in text  # (1 + 0 + 1 - 1) / 4
    assert "warm ask p95 78 ms" in text and "warm query p95 20 ms" in text and "ratio 3.90x" in text
    summary = text[text.index("newsbot eval — 2 suites") :]
    rgb_row = next(line for line in summary.splitlines() if line.startswith("│ rgb"))
    assert "+0.250" in rgb_row and "3.90x" in rgb_row and "failed (1)" in rgb_row
    assert "skipped" in next(line for line in summary.splitlines() if line.startswith("│ multihop"))
    assert "gate failed in rgb" in text


def test_the_json_report_holds_every_suite_and_says_which_was_skipped(tmp_path: Path) -> None:
    data = run_dict(_run(tmp_path))
    rgb, multihop = data["suites"]
    assert data["passed"] is False
    assert (rgb["status"], multihop["status"]) == ("ran", "skipped")
    assert multihop["skipped_reason"].startswith("no question set at") and "records" not in multihop
    assert rgb["speed"]["warm_ask_p95_ms"] == rgb["metrics"]["overall"]["latency_p95_ms"]
    assert rgb["speed"]["ask_to_recipe_p95"] == rgb["speed"]["warm_ask_p95_ms"] / 20.0
    assert [r["warmup"] for r in rgb["records"]] == [True, False, False, False]
