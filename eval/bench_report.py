"""Outputs of ``newsbot bench speed``: results.json, table.md (the README table) and latency.png."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval.bench import BenchResult, QueryFigures


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x" if denominator else "—"


def ingest_rows(result: BenchResult) -> list[str]:
    """Markdown rows: one per system and mode, with the ratio to the baseline of the same mode."""
    rows = [
        "| mode | system | articles | chunks | seconds | articles/s | chunks/s | model tokens "
        "| peak RSS Δ MB | articles/s vs baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for figures in result.ingest:
        base = next((f for f in result.ingest if f.system == "baseline" and f.mode == figures.mode), None)
        f = figures
        vs_base = _ratio(f.articles_per_s, base.articles_per_s) if base else "—"
        rows.append(
            f"| {f.mode} | {f.system} | {f.articles} | {f.chunks} | {f.seconds:.1f} | "
            f"{f.articles_per_s:.2f} | {f.chunks_per_s:.1f} | {f.model_tokens} | "
            f"{f.peak_rss_delta_mb:.0f} | {vs_base} |"
        )
    return rows


def query_rows(result: BenchResult) -> list[str]:
    """Markdown rows: p50/p95 per corpus, mode and operation, with the p95 ratio to the baseline retriever."""
    rows = [
        "| mode | corpus | system | operation | chunks | p50 ms | p95 ms | p95 vs baseline retrieve |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for q in result.queries:
        base = _baseline_for(result.queries, q)
        vs_base = _ratio(q.p95_ms, base.p95_ms) if base else "—"
        rows.append(
            f"| {q.mode} | {q.corpus} | {q.system} | {q.operation} | {q.chunks} | {q.p50_ms:.1f} | "
            f"{q.p95_ms:.1f} | {vs_base} |"
        )
    return rows


def _baseline_for(queries: list[QueryFigures], q: QueryFigures) -> QueryFigures | None:
    return next(
        (b for b in queries if b.system == "baseline" and b.corpus == q.corpus and b.mode == q.mode), None
    )


def comparison_rows(comparison: dict[str, Any]) -> list[str]:
    """Markdown rows of an alternated whole-command comparison (``eval/bench_commands.py``)."""
    ratio_key = next((k for k in next(iter(comparison.values())) if k.startswith("vs ")), "vs —")
    rows = [f"| command | median s | runs s | {ratio_key} | articles/s |", "|---|---:|---|---:|---:|"]
    for name, value in comparison.items():
        runs = ", ".join(f"{r:.1f}" for r in value.get("runs_s", []))
        rows.append(
            f"| {name} | {value['median_s']:.2f} | {runs} | {value.get(ratio_key, '—')} | "
            f"{value.get('articles_per_s', '—')} |"
        )
    return rows


def markdown_table(result: BenchResult) -> str:
    """The whole report as Markdown."""
    lines = ["### Ingest", "", *ingest_rows(result), ""]
    if result.reingest:
        r = result.reingest
        lines += [
            f"Re-ingest of the unchanged {r['articles']} articles: {r['seconds']:.2f} s "
            f"({r['seconds_per_1000_articles']:.2f} s per 1,000 articles, {r['written']} chunks written).",
            "",
        ]
    lines += ["### Warm query latency", "", *query_rows(result), ""]
    if result.stores:
        lines += [
            "### Stores",
            "",
            "| mode | corpus | newsbot chunks | baseline nodes | vectors | first search s | lexical index MB "
            "| RSS growth over queries MB | peak alloc per search MB | load avg (1 min) |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---|",
        ]
        for s in result.stores:
            cells = [
                s["mode"],
                s["corpus"],
                s["newsbot_chunks"],
                s.get("baseline_nodes", "—"),
                s["vectors"],
                s.get("newsbot_first_search_s", "—"),
                s.get("lexical_index_mb", "—"),
                s.get("newsbot_rss_growth_over_queries_mb", "—"),
                s.get("search_peak_python_alloc_mb", "—"),
                " → ".join(str(v) for v in s.get("loadavg_1m_before_after", [])) or "—",
            ]
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        lines.append("")
    if result.cold:
        lines += ["### Cold start", "", "| what | median s |", "|---|---:|"]
        for name, value in result.cold.items():
            if isinstance(value, dict) and "median_s" in value:
                lines.append(f"| `{name}` | {value['median_s']:.2f} |")
            elif isinstance(value, dict) and "error" in value:
                lines.append(f"| `{name}` | not measured: {value['error'][:120]} |")
        for title in ("ask vs bare import", "ingest commands"):
            comparison = result.cold.get(title)
            if isinstance(comparison, dict) and comparison:
                lines += ["", f"Whole commands, {title} (alternated, same run):", ""]
                lines += comparison_rows(comparison)
        breakdown = result.cold.get("breakdown_s") or {}
        if breakdown:
            lines += ["", "Breakdown (cumulative seconds since interpreter start, one cold process):", ""]
            lines += [f"- {step}: {seconds:.2f}" for step, seconds in breakdown.items()]
        lines.append("")
    machine = result.machine
    lines.append(
        f"Machine: {machine.get('cpus')} CPUs, {machine.get('memory_gb')} GB, embedding "
        f"{machine.get('embedding')} ({machine.get('embedding_threads')} threads, onnxruntime "
        f"{machine.get('onnxruntime')}), chromadb {machine.get('chromadb')}, "
        f"Python {machine.get('python')}."
    )
    lines += [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def latency_chart(result: BenchResult, path: Path) -> None:
    """p95 (solid) and p50 (dashed) latency against store size, one line per system/operation/mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    series: dict[str, list[QueryFigures]] = {}
    for q in result.queries:
        series.setdefault(f"{q.system} {q.operation} ({q.mode})", []).append(q)
    for label, points in sorted(series.items()):
        points = sorted(points, key=lambda p: p.articles)
        xs = [max(p.chunks, 1) for p in points]
        line = ax.plot(xs, [p.p95_ms for p in points], marker="o", label=f"{label} p95")[0]
        ax.plot(xs, [p.p50_ms for p in points], linestyle="--", color=line.get_color(), alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")  # seconds-long cold-machine outliers and 20 ms warm queries on one chart
    ax.set_xlabel("chunks in the store (log scale; baseline: its own 1,024-token nodes)")
    ax.set_ylabel("latency, ms, log scale (solid p95, dashed p50)")
    ax.set_title("Warm query latency vs corpus size")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a run with no latency points has nothing to label
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(result: BenchResult, out_dir: Path) -> dict[str, Path]:
    """Write results.json, table.md and latency.png; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "results.json",
        "table": out_dir / "table.md",
        "chart": out_dir / "latency.png",
    }
    paths["json"].write_text(result.to_json(), encoding="utf-8")
    paths["table"].write_text(markdown_table(result), encoding="utf-8")
    latency_chart(result, paths["chart"])
    return paths
