"""The ``newsbot`` command: ingest, search, stats, ask and chat here; serve/feedback (bot) and eval/bench (eval) join in."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from retrieval.collector import loading
from retrieval.config import Settings, load_settings, settings_problem
from retrieval.errors import NewsbotError
from retrieval.terminal import plain, text

if TYPE_CHECKING:
    from retrieval.index import Index
    from retrieval.types import IndexStats, IngestReport

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
    err.print(
        text("error: ", "bold red") + text(" ".join(plain(message).split())), highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


def configured_settings() -> Settings:
    """The settings from the environment; a bad value ends the command with one line naming it."""
    try:
        return load_settings()
    except NewsbotError as exc:
        raise fail(str(exc), code=2) from exc


def open_configured_index(settings: Settings | None = None) -> Index:
    """Open the index the environment describes, turning library errors into a clean exit."""
    from retrieval.index import open_index

    settings = settings or configured_settings()
    try:
        with err.status("Loading the index and the embedding model…"), loading():
            return open_index(settings)
    except NewsbotError as exc:
        raise fail(str(exc)) from exc


def say_waiting(message: str) -> None:
    """Tell the person at the terminal that this write waits for another one."""
    err.print(text(f"{message} (Ctrl-C to give up)…", "yellow"), highlight=False, soft_wrap=True)


def print_report(report: IngestReport) -> None:
    """Summarise an ingest run: counts, then each skipped file with its reason."""
    console.print(
        f"[green]added {len(report.added)}[/], updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, skipped {len(report.skipped)} · {report.chunks_written} chunks written"
    )
    for skipped in report.skipped:
        line = text("  skipped ", "yellow") + text(f"{skipped.path}: {skipped.reason}")
        err.print(line, highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files or folders, or http(s) URLs of pages, RSS/Atom feeds or sitemaps (default: seeds/)."
        ),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Drop articles whose files no longer exist.")
    ] = False,
) -> None:
    """Add articles (.txt, .md, .html, .json, .jsonl, or web pages) to the index; re-running adds nothing new."""
    from retrieval.fetch import is_url
    from retrieval.progress import ingest_progress
    from retrieval.web_ingest import merge_reports

    inputs = paths or [str(DEFAULT_SEEDS)]
    files = [Path(p) for p in inputs if not is_url(p)]
    urls = [p for p in inputs if is_url(p)]
    index = open_configured_index()
    with ingest_progress(err) as bar:
        task = bar.add_task("ingest", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = (
                index.add(files, prune=prune, progress=progress, on_wait=say_waiting)
                if files
                else merge_reports()
            )
        except NewsbotError as exc:
            raise fail(str(exc)) from exc
    if urls:  # pages, feeds and sitemaps: their own progress bar, then the same report
        from retrieval.web_cli import fetch_with_progress

        try:
            report = merge_reports(report, fetch_with_progress(index, urls, index.settings, err))
        except NewsbotError as exc:
            raise fail(str(exc)) from exc
    print_report(report)
    stats = index_stats(index)
    console.print(
        text(f"index: {stats.articles} articles, {stats.chunks} chunks at {stats.location}"), highlight=False
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
        article = text(hit.article.title) + text("\n") + text(hit.article.file_name, "dim")
        table.add_row(str(rank), f"{hit.score:.4f}", article, text(hit.text))
    console.print(table)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """How many articles and chunks the index holds, and where."""
    from retrieval.types import to_dict

    index = open_configured_index()
    result = index_stats(index)
    if as_json:
        print(json.dumps(to_dict(result), ensure_ascii=False, indent=2))
        return
    console.print(
        text(
            f"{result.articles} articles, {result.chunks} chunks in collection {result.collection!r} "
            f"at {result.location}"
        ),
        highlight=False,
    )
    table = Table("article", "file", "published")
    for meta in result.sources:
        published = meta.published.isoformat() if meta.published else "—"
        table.add_row(text(meta.title), text(meta.file_name), published)
    if result.sources:
        console.print(table)


def index_stats(index: Index) -> IndexStats:
    """``index.stats()``, a library error ending the command with its one line."""
    try:
        return index.stats()
    except NewsbotError as exc:
        raise fail(str(exc)) from exc


@app.command()
def repair(
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild even when the check finds nothing wrong.")
    ] = False,
) -> None:
    """Check every stored vector and chunk; rebuild them from the stored articles if anything is wrong."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    index = open_configured_index()
    with Progress(
        TextColumn("rebuilding"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("repair", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            report = index.repair(force=force, progress=progress, on_wait=say_waiting)
        except NewsbotError as exc:
            raise fail(str(exc)) from exc
    for problem in report.problems:
        err.print(text("  found: ", "yellow") + text(problem), highlight=False, soft_wrap=True)
    if not report.problems and not force:
        console.print(text(f"the index at {index.settings.store_location} is healthy; nothing to repair"))
        return
    console.print(
        text(
            f"rebuilt {report.chunks_written} chunks of {report.articles_rebuilt} articles from the manifest"
        ),
        highlight=False,
    )
    for lost in report.articles_lost:
        err.print(text(f"  dropped {lost}: its text was missing; ingest it again"), highlight=False)


COMMANDS_GROUP = "newsbot.commands"


def _register_extensions() -> None:
    """Add the commands other packages declare in the ``newsbot.commands`` entry-point group.

    Each entry point names a ``register(app)`` function (``ask``/``chat`` here, ``serve``/``feedback`` from
    the bot, ``eval``/``bench`` from the eval suite); this module never imports those packages itself.
    Loading one imports only its small cli module: heavy libraries load inside the commands.
    """
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            register = entry.load()
        except ModuleNotFoundError as exc:
            if exc.name != entry.module:
                raise
            continue  # a package that declares commands but is not installed here
        register(app)


_register_extensions()


def main() -> None:
    """Entry point of the ``newsbot`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except NewsbotError as exc:  # the last net: a command that did not catch a library error itself
        fail(str(exc))
        sys.exit(1)
    except ValidationError as exc:  # Settings() read by a command that does not use configured_settings()
        if exc.title != Settings.__name__:
            raise
        fail(settings_problem(exc))
        sys.exit(2)
