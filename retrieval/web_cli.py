"""The fetching half of ``newsbot ingest``: URLs, feeds and sitemaps with a progress bar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from retrieval.config import Settings
    from retrieval.types import IngestReport
    from retrieval.web_ingest import ArticleSink


def fetch_with_progress(
    index: ArticleSink, urls: Sequence[str], settings: Settings, console: Console
) -> IngestReport:
    """Fetch and ingest ``urls`` behind a progress bar on ``console``; say which feeds had nothing new."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from retrieval.web_ingest import ingest_urls

    with Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        result = ingest_urls(index, urls, settings, progress=progress)
    for url in result.not_modified:
        console.print(f"  [dim]not modified since the last run:[/] {url}", highlight=False, soft_wrap=True)
    return result.report
