"""``newsbot bench speed``: the speed benchmark against the plain llama-index recipe (see ``eval/bench.py``).

Nothing heavy is imported here: the benchmark modules load inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SIZES = ("seeds", "articles", "chunks")


def speed(
    articles: Annotated[
        int, typer.Option("--articles", min=1, help="Articles in the mid-size generated corpus.")
    ] = 5000,
    ingest_articles: Annotated[
        int | None,
        typer.Option(
            "--ingest-articles",
            min=1,
            help="Articles in the real-model ingest comparison (default: --articles).",
        ),
    ] = None,
    chunks_target: Annotated[
        int, typer.Option("--chunks-target", min=1, help="Approximate newsbot chunks in the large corpus.")
    ] = 100_000,
    sizes: Annotated[
        str,
        typer.Option("--sizes", help="Comma-separated corpora for query latency: seeds, articles, chunks."),
    ] = "seeds,articles,chunks",
    server_sizes: Annotated[
        str | None,
        typer.Option("--server-sizes", help="Corpora for the Chroma-server runs (default: --sizes)."),
    ] = None,
    repeats: Annotated[
        int,
        typer.Option("--repeats", min=1, help="Passes over the question set per corpus; cold-start runs."),
    ] = 3,
    ingest_repeats: Annotated[
        int, typer.Option("--ingest-repeats", min=1, help="Ingest runs per system.")
    ] = 1,
    questions: Annotated[
        int, typer.Option("--questions", min=1, help="Questions per pass (from the eval set).")
    ] = 20,
    skip_baseline: Annotated[bool, typer.Option("--skip-baseline", help="Measure newsbot only.")] = False,
    ingest_recipes: Annotated[
        str,
        typer.Option(
            "--ingest-recipes",
            help="Also time the whole `newsbot ingest` command with each of these comma-separated "
            "NEWSBOT_CHUNK_VECTORS values (chunk, sentences, late), in the same alternated run.",
        ),
    ] = "",
    ingest: Annotated[
        bool, typer.Option("--ingest/--skip-ingest", help="Run the real-model ingest comparison.")
    ] = True,
    server: Annotated[
        bool,
        typer.Option("--server/--no-server", help="Also run both systems against a `chroma run` server."),
    ] = True,
    cold: Annotated[
        bool, typer.Option("--cold/--no-cold", help="Measure cold start of ask and serve.")
    ] = True,
    out: Annotated[
        Path, typer.Option("--out", help="Where results.json, table.md and latency.png go.")
    ] = Path("bench-out"),
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Generated corpora and stores (default: OUT/work).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the corpus generator.")] = 20220515,
) -> None:
    """Ingest throughput, warm query latency and cold start: newsbot vs the plain llama-index recipe."""
    import logging
    import signal
    import sys

    from eval.bench import BenchConfig, run_speed_bench

    # A terminated run must still stop the `chroma run` server it started (finally blocks run on exit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    chosen = _sizes(sizes, "--sizes")
    server_chosen = _sizes(server_sizes, "--server-sizes") if server_sizes else None
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    # SimpleDirectoryReader warns that optional readers (PDF, …) are missing; the corpus is plain text.
    logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
    config = BenchConfig(
        out_dir=out,
        work_dir=work_dir or out / "work",
        articles=articles,
        ingest_articles=ingest_articles or articles,
        chunks_target=chunks_target,
        sizes=chosen,
        server_sizes=server_chosen,
        repeats=repeats,
        ingest_repeats=ingest_repeats,
        questions=questions,
        skip_baseline=skip_baseline,
        ingest_recipes=_recipes(ingest_recipes),
        ingest=ingest,
        server=server,
        cold=cold,
        seed=seed,
    )
    result = run_speed_bench(config, progress=lambda message: typer.echo(message, err=True))
    from eval.bench_report import markdown_table

    typer.echo(markdown_table(result))
    typer.echo(f"results: {out / 'results.json'}, {out / 'table.md'}, {out / 'latency.png'}", err=True)


def fidelity() -> None:
    """ONNX vs torch vectors on the seeds (chunks, sentences, questions): cosine min/mean; needs the torch extra."""
    import json

    from eval.bench_fidelity import MIN_COSINE, fidelity, seed_texts
    from retrieval.errors import NewsbotError

    try:
        result = fidelity(seed_texts())
    except NewsbotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(result, indent=2))
    if not result["passed"]:
        typer.echo(f"fidelity below {MIN_COSINE}", err=True)
        raise typer.Exit(1)


def _sizes(text: str, option: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [s for s in chosen if s not in SIZES]
    if unknown or not chosen:
        raise typer.BadParameter(
            f"unknown size(s) {unknown}; choose from {', '.join(SIZES)}", param_hint=option
        )
    return chosen


def _recipes(text: str) -> tuple[str, ...]:
    """The ``--ingest-recipes`` values, refused up front if one is no NEWSBOT_CHUNK_VECTORS value (the
    commands that use them run late in a long bench)."""
    from typing import get_args

    from retrieval.config import Settings

    known = get_args(Settings.model_fields["chunk_vectors"].annotation)
    chosen = tuple(r.strip() for r in text.split(",") if r.strip())
    unknown = [r for r in chosen if r not in known]
    if unknown:
        raise typer.BadParameter(
            f"unknown chunk-vector recipe(s) {unknown}; choose from {', '.join(known)}",
            param_hint="--ingest-recipes",
        )
    return chosen


def register(app: typer.Typer) -> None:
    """Add the ``bench`` sub-app (``bench speed``) to the ``newsbot`` app."""
    bench = typer.Typer(
        name="bench",
        help="Benchmarks: speed against the plain llama-index recipe; ONNX vs torch fidelity.",
        no_args_is_help=True,
    )
    bench.command("speed")(speed)
    bench.command("fidelity")(fidelity)
    app.add_typer(bench, name="bench")


if __name__ == "__main__":  # `python -m eval.bench_cli speed ...` until the lead wires `newsbot bench`
    _app = typer.Typer(add_completion=False)
    register(_app)
    _app(["bench", *__import__("sys").argv[1:]])
