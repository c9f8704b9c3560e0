"""Show an eval run: rich tables for the terminal (one per suite, one summary) and the JSON report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.aggregate import MetricSet
from eval.gate import GateResult
from eval.recipe_speed import ask_to_recipe_ratio
from eval.runner import EvalReport
from eval.suite_run import EvalRun, SuiteOutcome

# (column title, MetricSet field, kind): the figures every per-suite view shows, in this order
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "questions", "count"),
    ("accuracy", "accuracy", "rate"),
    ("correct", "correct_rate", "rate"),
    ("declined", "decline_rate", "rate"),
    ("CRAG", "crag_score", "signed"),
    ("hit@1", "hit_at_1", "rate"),
    ("hit@5", "hit_at_5", "rate"),
    ("MRR", "mrr", "score"),
    ("cite valid", "citation_validity", "rate"),
    ("cite support", "citation_support", "rate"),
    ("abst P", "abstention_precision", "rate"),
    ("abst R", "abstention_recall", "rate"),
    ("p50 ms", "latency_p50_ms", "ms"),
    ("p95 ms", "latency_p95_ms", "ms"),
)

# the one-row-per-suite summary: the figures first ("ans right" = answerable right, the accuracy
# field; "unans declined" = unanswerable declined, the abstention recall: one figure, one field, named here
# as a CRAG-style report names them), then retrieval and warm latency
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "questions", "count"),
    ("ans right", "accuracy", "rate"),
    ("unans declined", "abstention_recall", "rate"),
    ("declined", "decline_rate", "rate"),
    ("CRAG", "crag_score", "signed"),
    ("hit@1", "hit_at_1", "rate"),
    ("hit@5", "hit_at_5", "rate"),
    ("MRR", "mrr", "score"),
    ("p50 ms", "latency_p50_ms", "ms"),
    ("p95 ms", "latency_p95_ms", "ms"),
)
RECIPE_COLUMNS = ("recipe p95 ms", "p95 ratio")


def format_value(value: float | int | None, kind: str) -> str:
    """A figure for people: rates as percentages, latencies in whole ms, missing ones as a dash."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.3f}"
    if kind == "signed":
        return f"{value:+.3f}"
    if kind == "ms":
        return f"{value:,.0f}"
    if kind == "ratio":
        return f"{value:.2f}x"
    return str(value)


def metric_rows(report: EvalReport) -> list[tuple[str, MetricSet]]:
    """``("overall", ...)`` then one row per question type."""
    return [("overall", report.overall), *report.by_type.items()]


def metrics_table(report: EvalReport) -> Table:
    """One suite's metrics as a rich table, overall first."""
    title = f"suite {report.suite} — {report.overall.questions} questions"
    table = Table(title=title, title_justify="left")
    table.add_column("type", style="bold")
    for title, _, _ in COLUMNS:
        table.add_column(title, justify="right")
    for position, (name, group) in enumerate(metric_rows(report)):
        cells = [format_value(getattr(group, attr), kind) for _, attr, kind in COLUMNS]
        table.add_row(name, *cells, end_section=position == 0)
    return table


def verdict(outcome: SuiteOutcome) -> str:
    """The suite's gate in a few words: passed, failed (how many rules), not gated, or skipped."""
    if outcome.report is None:
        return "skipped"
    if outcome.gate is None:
        return "not gated"
    if outcome.gate.passed:
        return "passed"
    return f"failed ({len(outcome.gate.failures)})"


def recipe_cells(outcome: SuiteOutcome) -> tuple[str, str]:
    """The recipe's warm p95 and newsbot's ask p95 as a multiple of it, or dashes."""
    if outcome.recipe is None or outcome.report is None:
        return "—", "—"
    ratio = ask_to_recipe_ratio(outcome.report.overall.latency_p95_ms, outcome.recipe)
    return format_value(outcome.recipe.p95_ms, "ms"), format_value(ratio, "ratio")


def summary_table(run: EvalRun) -> Table:
    """One row per suite with the headline figures, the recipe comparison and the gate's verdict."""
    title = f"newsbot eval — {len(run.outcomes)} suites (warm ask latency; recipe = plain llama-index query)"
    table = Table(title=title, title_justify="left")
    table.add_column("suite", style="bold", no_wrap=True)
    for title, _, _ in SUMMARY_COLUMNS:
        table.add_column(title, justify="right", no_wrap=True)
    for title in (*RECIPE_COLUMNS, "gate"):
        table.add_column(title, justify="right", no_wrap=True)
    for outcome in run.outcomes:
        if outcome.report is None:
            blanks = ["—"] * (len(SUMMARY_COLUMNS) + 2)
            table.add_row(outcome.suite.name, *blanks, "skipped", style="dim")
            continue
        overall = outcome.report.overall
        cells = [format_value(getattr(overall, attr), kind) for _, attr, kind in SUMMARY_COLUMNS]
        table.add_row(outcome.suite.name, *cells, *recipe_cells(outcome), verdict(outcome))
    return table


def print_gate(name: str, gate: GateResult, console: Console) -> None:
    """The rules a suite broke or could not check, and its verdict."""
    for rule in gate.skipped:
        console.print(f"[yellow]{name}: not measured[/] {rule.describe()}", highlight=False)
    for failure in gate.failures:
        console.print(f"[red]{name}: below threshold[/] {failure.describe()}", highlight=False)
    result = "[green]gate passed[/]" if gate.passed else "[red bold]gate failed[/]"
    console.print(
        f"{name}: {result} ({gate.checked} thresholds checked, {len(gate.skipped)} not measured)",
        highlight=False,
    )


def print_suite(outcome: SuiteOutcome, console: Console) -> None:
    """One suite: its table per question type, errors, timings, the recipe's speed, and its gate."""
    report, name = outcome.report, outcome.suite.name
    if report is None:
        console.print(f"[yellow]suite {name} skipped:[/] {outcome.skipped}", highlight=False)
        return
    console.print(metrics_table(report))
    wrong = sum(1 for record in report.records if not record.correct)
    index = f"; index built in {outcome.index_s:.1f} s" if outcome.index_s is not None else ""
    console.print(
        f"{name}: {wrong} of {len(report.records)} questions wrong; asked in {report.duration_s:.1f} s{index}",
        highlight=False,
    )
    for record in report.records:
        if record.error:
            console.print(f"[red]{name}: error[/] {record.id}: {record.error}", highlight=False)
    if outcome.recipe is not None:
        recipe = outcome.recipe
        ratio = ask_to_recipe_ratio(report.overall.latency_p95_ms, recipe)
        console.print(
            f"{name}: warm ask p95 {format_value(report.overall.latency_p95_ms, 'ms')} ms; llama-index recipe "
            f"(top {recipe.k}, {recipe.nodes} nodes, built in {recipe.ingest_s:.1f} s) warm query p95 "
            f"{format_value(recipe.p95_ms, 'ms')} ms over {recipe.queries} queries; ratio "
            f"{format_value(ratio, 'ratio')}",
            highlight=False,
        )
    if outcome.gate is not None:
        print_gate(name, outcome.gate, console)


def print_run(run: EvalRun, console: Console | None = None) -> None:
    """Every suite, then the summary table and the overall verdict."""
    console = console or Console()
    for outcome in run.outcomes:
        print_suite(outcome, console)
        console.print()
    console.print(summary_table(run))
    gated = [outcome for outcome in run.outcomes if outcome.gate is not None]
    failed = [outcome.suite.name for outcome in gated if outcome.gate is not None and not outcome.gate.passed]
    if not gated:
        console.print(f"took {run.duration_s:.1f} s; not gated", highlight=False)
    elif failed:
        console.print(f"[red bold]gate failed[/] in {', '.join(failed)}; took {run.duration_s:.1f} s")
    else:
        console.print(f"[green]gate passed[/] in {len(gated)} suites; took {run.duration_s:.1f} s")


def gate_dict(gate: GateResult) -> dict[str, Any]:
    """The gate's verdict as JSON-ready data."""
    return {
        "passed": gate.passed,
        "checked": gate.checked,
        "failures": [
            {**dataclasses.asdict(failure.threshold), "value": failure.value, "text": failure.describe()}
            for failure in gate.failures
        ],
        "skipped": [rule.describe() for rule in gate.skipped],
    }


def report_dict(report: EvalReport, gate: GateResult | None = None) -> dict[str, Any]:
    """One suite's run as JSON-ready data: run info, metrics, gate verdict and every record."""
    return {
        "suite": report.suite,
        "started_at": report.started_at,
        "duration_s": round(report.duration_s, 3),
        "questions_file": report.questions_file,
        "conversations_file": report.conversations_file,
        "metrics": {
            "overall": dataclasses.asdict(report.overall),
            "by_type": {name: dataclasses.asdict(group) for name, group in report.by_type.items()},
        },
        "gate": gate_dict(gate) if gate is not None else None,
        "records": [dataclasses.asdict(record) for record in report.records],
    }


def outcome_dict(outcome: SuiteOutcome) -> dict[str, Any]:
    """One suite of a run as JSON-ready data; a skipped suite says why."""
    head: dict[str, Any] = {
        "suite": outcome.suite.name,
        "status": "skipped" if outcome.report is None else "ran",
        "skipped_reason": outcome.skipped,
        "articles": ", ".join(map(str, outcome.suite.corpus)),
    }
    if outcome.report is None:
        return head
    overall = outcome.report.overall
    recipe = outcome.recipe
    speed = {
        "warm_ask_p50_ms": overall.latency_p50_ms,
        "warm_ask_p95_ms": overall.latency_p95_ms,
        "index_s": outcome.index_s,
        "recipe": dataclasses.asdict(recipe) if recipe is not None else None,
        "ask_to_recipe_p95": ask_to_recipe_ratio(overall.latency_p95_ms, recipe),
    }
    return {**head, "speed": speed, **report_dict(outcome.report, outcome.gate)}


def run_dict(run: EvalRun) -> dict[str, Any]:
    """The whole run as JSON-ready data: every suite, its metrics, gate and records."""
    return {
        "started_at": run.started_at,
        "duration_s": round(run.duration_s, 3),
        "passed": run.passed,
        "suites": [outcome_dict(outcome) for outcome in run.outcomes],
    }


def write_json(run: EvalRun, path: Path) -> None:
    """Write the JSON report of the run to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run_dict(run), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
