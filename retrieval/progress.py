"""The ingest progress bar: articles done of all to write, articles per second, and the time left."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class ArticlesPerSecondColumn(ProgressColumn):
    """Throughput over the last half minute (rich's own estimate), in articles per second."""

    def render(self, task: Task) -> Text:
        """``12.3 articles/s``, or a dash before the first batch is done."""
        speed = task.finished_speed or task.speed
        label = "– articles/s" if speed is None else f"{speed:.1f} articles/s"
        return Text(label, style="progress.data.speed")


def ingest_progress(console: Console) -> Progress:
    """A transient bar: ``ingesting ━━━━━ 120/5000 3.4 articles/s 0:23:55`` (the last is the ETA)."""
    return Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        ArticlesPerSecondColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
