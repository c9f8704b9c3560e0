"""A self-contained HTML report of a run: a summary of the suites, then per suite its metrics table, gate,
a chart per question type, and its failures beside what was expected."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from eval.gate import GateResult
from eval.records import QuestionRecord
from eval.report import (
    COLUMNS,
    RECIPE_COLUMNS,
    SUMMARY_COLUMNS,
    format_value,
    metric_rows,
    recipe_cells,
    verdict,
)
from eval.runner import EvalReport
from eval.suite_run import EvalRun, SuiteOutcome

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; vertical-align: top; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.overall td { font-weight: bold; background: #f4f4f4; }
tr.skipped td { color: #888; }
.pass { color: #1a7f37; } .fail { color: #c62828; }
.quote { color: #555; font-size: 12px; }
"""


def chart_png(report: EvalReport) -> bytes:
    """A small bar chart of correct-rate and hit@1 per question type, as PNG bytes."""
    from matplotlib.figure import Figure  # heavy; only needed when a chart is drawn

    names = list(report.by_type)
    correct = [report.by_type[name].correct_rate or 0.0 for name in names]
    hit_at_1 = [report.by_type[name].hit_at_1 or 0.0 for name in names]
    figure = Figure(figsize=(7.5, 0.35 * len(names) + 1.2), dpi=100)
    axes = figure.add_subplot()
    positions = range(len(names))
    axes.barh([p + 0.2 for p in positions], correct, height=0.4, label="correct", color="#2e7d32")
    axes.barh([p - 0.2 for p in positions], hit_at_1, height=0.4, label="hit@1", color="#90a4ae")
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of questions")
    axes.legend(loc="lower right", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _metrics_table(report: EvalReport) -> str:
    head = "".join(f"<th>{escape(title)}</th>" for title, _, _ in COLUMNS)
    rows = []
    for name, group in metric_rows(report):
        cells = "".join(
            f'<td class="num">{format_value(getattr(group, attr), kind)}</td>' for _, attr, kind in COLUMNS
        )
        css = ' class="overall"' if name == "overall" else ""
        rows.append(f"<tr{css}><td>{escape(name)}</td>{cells}</tr>")
    return f"<table><tr><th>type</th>{head}</tr>{''.join(rows)}</table>"


def _expected(record: QuestionRecord) -> str:
    if record.unanswerable:
        return "<em>abstain</em>"
    parts = []
    if record.answers:
        parts.append("any of: " + ", ".join(escape(answer) for answer in record.answers))
    if record.answers_all:
        parts.append("all of: " + ", ".join(escape(answer) for answer in record.answers_all))
    return "<br>".join(parts)


def _got(record: QuestionRecord) -> str:
    if record.error:
        return f'<span class="fail">{escape(record.error)}</span>'
    text = "<em>abstained</em> " if record.abstained else ""
    text += escape(record.answer)
    for citation in record.citations:
        flag = "" if citation.verbatim else ' <span class="fail">(not verbatim)</span>'
        source = f"[{citation.n}] {escape(citation.file_name)}"
        text += f'<div class="quote">{source}: “{escape(citation.quote)}”{flag}</div>'
    return text


def _failures_table(records: tuple[QuestionRecord, ...]) -> str:
    failed = [record for record in records if not record.correct]
    if not failed:
        return '<p class="pass">Every question answered as expected.</p>'
    rows = []
    for record in failed:
        rank = "—" if record.retrieval_rank is None else str(record.retrieval_rank)
        rows.append(
            f"<tr><td>{escape(record.id)}<br><small>{escape(record.type)}</small></td>"
            f"<td>{escape(record.question)}</td><td>{_expected(record)}"
            f"<br><small>{escape(', '.join(record.sources))}</small></td>"
            f'<td>{_got(record)}</td><td class="num">{rank}</td></tr>'
        )
    head = "<tr><th>id</th><th>question</th><th>expected</th><th>answer</th><th>source rank</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _gate_section(gate: GateResult | None) -> str:
    if gate is None:
        return "<p>Gate not checked.</p>"
    verdict = '<p class="pass">Gate passed.</p>' if gate.passed else '<p class="fail">Gate failed.</p>'
    items = [f'<li class="fail">{escape(failure.describe())}</li>' for failure in gate.failures]
    items += [f"<li>not measured: {escape(rule.describe())}</li>" for rule in gate.skipped]
    return verdict + (f"<ul>{''.join(items)}</ul>" if items else "")


def _summary_table(run: EvalRun) -> str:
    titles = ["suite", *(title for title, _, _ in SUMMARY_COLUMNS), *RECIPE_COLUMNS, "gate"]
    rows = []
    for outcome in run.outcomes:
        name = f'<td><a href="#suite-{escape(outcome.suite.name)}">{escape(outcome.suite.name)}</a></td>'
        if outcome.report is None:
            blanks = '<td class="num">—</td>' * (len(titles) - 2)
            rows.append(f'<tr class="skipped">{name}{blanks}<td>skipped</td></tr>')
            continue
        overall = outcome.report.overall
        cells = [format_value(getattr(overall, attr), kind) for _, attr, kind in SUMMARY_COLUMNS]
        cells += [*recipe_cells(outcome), verdict(outcome)]
        tds = "".join(f'<td class="num">{escape(cell)}</td>' for cell in cells)
        rows.append(f"<tr>{name}{tds}</tr>")
    head = "".join(f"<th>{escape(title)}</th>" for title in titles)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _suite_section(outcome: SuiteOutcome) -> str:
    name = escape(outcome.suite.name)
    anchor = f'<h2 id="suite-{name}">Suite {name}</h2>'
    report = outcome.report
    if report is None:
        return f"{anchor}<p>Skipped: {escape(outcome.skipped or '')}</p>"
    chart = base64.b64encode(chart_png(report)).decode("ascii")
    failed = sum(1 for record in report.records if not record.correct)
    return (
        f"{anchor}<p>{len(report.records)} questions · asked in {report.duration_s:.1f} s · questions: "
        f"{escape(report.questions_file or '—')} · articles: {escape(', '.join(map(str, outcome.suite.corpus)))}</p>"
        f"{_metrics_table(report)}{_gate_section(outcome.gate)}"
        f'<img alt="correct rate and hit@1 per question type in {name}" src="data:image/png;base64,{chart}">'
        f"<h3>Failures ({failed})</h3>{_failures_table(report.records)}"
    )


def render_html(run: EvalRun) -> str:
    """The run as one HTML page, charts embedded as base64 PNGs."""
    verdict_line = (
        '<p class="pass">Every gate passed.</p>' if run.passed else '<p class="fail">A gate failed.</p>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>newsbot eval</title>'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>newsbot eval</h1><p>{escape(run.started_at)} · {len(run.outcomes)} suites · "
        f"{run.duration_s:.1f} s</p>{_summary_table(run)}{verdict_line}"
        f"{''.join(_suite_section(outcome) for outcome in run.outcomes)}"
        "</body></html>\n"
    )


def write_html(run: EvalRun, path: Path) -> None:
    """Write the HTML report of the run to ``path`` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(run), encoding="utf-8")
