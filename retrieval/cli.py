"""The ``newsbot`` command: ingest, search, stats, ask and chat here; serve/feedback (bot) and eval/bench (eval) join in."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from retrieval.config import Settings
from retrieval.errors import NewsbotError

if TYPE_CHECKING:
    from retrieval.index import Index
    from retrieval.types import IngestReport

app = typer.Typer(
    name="newsbot",
    help="Answer questions about news articles, citing the passages the answers come from.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
DEFAULT_SEEDS = Path("seeds")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a clear one-line error and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def open_configured_index(settings: Settings | None = None) -> Index:
    """Open the index the environment describes, turning library errors into a clean exit."""
    from retrieval.index import open_index

    try:
        with err.status("Loading the index and the embedding model…"):
            return open_index(settings or Settings())
    except NewsbotError as exc:
        raise fail(str(exc)) from exc


def print_report(report: IngestReport) -> None:
    """Summarise an ingest run: counts, then each skipped file with its reason."""
    console.print(
        f"[green]added {len(report.added)}[/], updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, skipped {len(report.skipped)} · {report.chunks_written} chunks written"
    )
    for skipped in report.skipped:
        err.print(f"  [yellow]skipped[/] {skipped.path}: {skipped.reason}", highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders to ingest (default: seeds/).")
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Drop articles whose files no longer exist.")
    ] = False,
) -> None:
    """Add articles (.txt, .md, .html, .json, .jsonl) to the index; re-running adds nothing new."""
    from retrieval.progress import ingest_progress

    index = open_configured_index()
    with ingest_progress(err) as bar:
        task = bar.add_task("ingest", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = index.add(paths or [DEFAULT_SEEDS], prune=prune, progress=progress)
        except NewsbotError as exc:
            raise fail(str(exc)) from exc
    print_report(report)
    stats = index.stats()
    console.print(
        f"index: {stats.articles} articles, {stats.chunks} chunks at {stats.location}", highlight=False
    )
    if not (report.added or report.updated or report.unchanged) and report.skipped:
        raise fail("nothing was ingested: every input was skipped (reasons above)")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many results.")] = 5,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these file names or sources.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only articles published on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles published on or before (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """Hybrid (meaning + keyword) search over the indexed chunks."""
    from retrieval.types import SearchFilters, to_dict

    try:
        filters = SearchFilters(
            sources=tuple(source or ()),
            published_from=date.fromisoformat(since) if since else None,
            published_to=date.fromisoformat(until) if until else None,
        )
    except ValueError as exc:
        raise fail(f"dates must look like 2022-05-15 ({exc})") from exc
    index = open_configured_index()
    try:
        hits = index.search(query, k=k, filters=filters)
    except NewsbotError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        print(json.dumps([to_dict(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print("No matching passages. Is anything ingested? Try `newsbot ingest`.")
        return
    table = Table("#", "score", "article", "passage", show_lines=True)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank), f"{hit.score:.4f}", f"{hit.article.title}\n[dim]{hit.article.file_name}[/]", hit.text
        )
    console.print(table)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """How many articles and chunks the index holds, and where."""
    from retrieval.types import to_dict

    index = open_configured_index()
    result = index.stats()
    if as_json:
        print(json.dumps(to_dict(result), ensure_ascii=False, indent=2))
        return
    console.print(
        f"{result.articles} articles, {result.chunks} chunks in collection {result.collection!r} at {result.location}",
        highlight=False,
    )
    table = Table("article", "file", "published")
    for meta in result.sources:
        table.add_row(meta.title, meta.file_name, meta.published.isoformat() if meta.published else "—")
    if result.sources:
        console.print(table)


def _register_extensions() -> None:
    """Commands that live with the bot and the eval suite (their modules import nothing heavy)."""
    for module_name in ("retrieval.ask_cli", "bot.cli", "eval.cli"):
        try:
            module = __import__(module_name, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(app)


_register_extensions()


def main() -> None:
    """Entry point of the ``newsbot`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
