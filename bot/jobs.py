"""Repeating work on python-telegram-bot's JobQueue: the first run at once, never two runs of a job at once."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import Application, Job

from retrieval.errors import ConfigError

# A run still going when the next is due is not started beside it; missed runs collapse into one.
_ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


def run_repeating(
    app: Application,
    callback: Callable[[Any], Coroutine[Any, Any, None]],
    interval_s: float,
    name: str,
    needed_for: str,
) -> Job:
    """Run ``callback`` now and every ``interval_s``; a clear error when the JobQueue extra is missing."""
    if app.job_queue is None:
        raise ConfigError(f"{needed_for} needs the JobQueue: pip install 'python-telegram-bot[job-queue]'")
    return app.job_queue.run_repeating(
        callback, interval=interval_s, first=0, name=name, job_kwargs=dict(_ONE_AT_A_TIME)
    )
