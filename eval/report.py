"""Show an eval run: a rich table for the terminal and the JSON report (every record plus the metrics)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.aggregate import MetricSet
from eval.gate import GateResult
from eval.runner import EvalReport

# (column title, MetricSet field, kind): the figures every view shows, in this order
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "questions", "count"),
    ("accuracy", "accuracy", "rate"),
    ("correct", "correct_rate", "rate"),
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


def format_value(value: float | int | None, kind: str) -> str:
    """A figure for people: rates as percentages, latencies in whole ms, missing ones as a dash."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "score":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:,.0f}"
    return str(value)


def metric_rows(report: EvalReport) -> list[tuple[str, MetricSet]]:
    """``("overall", ...)`` then one row per question type."""
    return [("overall", report.overall), *report.by_type.items()]


def metrics_table(report: EvalReport) -> Table:
    """The metrics as a rich table, overall first."""
    table = Table(title=f"newsbot eval — {report.overall.questions} questions", title_justify="left")
    table.add_column("type", style="bold")
    for title, _, _ in COLUMNS:
        table.add_column(title, justify="right")
    for position, (name, group) in enumerate(metric_rows(report)):
        cells = [format_value(getattr(group, attr), kind) for _, attr, kind in COLUMNS]
        table.add_row(name, *cells, end_section=position == 0)
    return table


def print_summary(report: EvalReport, gate: GateResult | None, console: Console | None = None) -> None:
    """Print the table, the errors, and the gate's verdict."""
    console = console or Console()
    console.print(metrics_table(report))
    wrong = sum(1 for record in report.records if not record.correct)
    console.print(f"{wrong} of {len(report.records)} questions wrong; took {report.duration_s:.1f} s")
    for record in report.records:
        if record.error:
            console.print(f"[red]error[/] {record.id}: {record.error}", markup=True, highlight=False)
    if gate is None:
        return
    for rule in gate.skipped:
        console.print(f"[yellow]not measured[/] {rule.describe()}", highlight=False)
    for failure in gate.failures:
        console.print(f"[red]below threshold[/] {failure.describe()}", highlight=False)
    verdict = "[green]gate passed[/]" if gate.passed else "[red bold]gate failed[/]"
    console.print(f"{verdict} ({gate.checked} thresholds checked, {len(gate.skipped)} not measured)")


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
    """The whole run as JSON-ready data: run info, metrics, gate verdict and every record."""
    return {
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


def write_json(report: EvalReport, path: Path, gate: GateResult | None = None) -> None:
    """Write the JSON report to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report_dict(report, gate), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
