"""``newsbot serve`` (run the Telegram bot), ``newsbot feedback`` (export 👍/👎 feedback) and ``newsbot follow``.

Registered into the ``newsbot`` command by ``retrieval/cli.py``; telegram and the index load inside the
commands, never at import time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer


def serve(
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"],
        typer.Option("--log-level", help="How much to log (secrets are always redacted)."),
    ] = "INFO",
) -> None:
    """Run the Telegram bot: long polling, or webhooks when NEWSBOT_WEBHOOK_URL is set; stop with SIGTERM."""
    from bot.app import run, setup_logging
    from retrieval.config import load_settings
    from retrieval.errors import ConfigError, NewsbotError

    try:
        settings = load_settings()
    except ConfigError as exc:  # names the variable, never its value
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    setup_logging(settings, log_level)
    try:
        run(settings)
    except NewsbotError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def feedback(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    fmt: Annotated[
        Literal["jsonl", "csv"], typer.Option("--format", help="jsonl (default) or csv.")
    ] = "jsonl",
) -> None:
    """Export the 👍/👎 votes with the question, answer and citations they rate (oldest first)."""
    from bot.feedback import FeedbackStore, write_csv
    from bot.services import bot_dir
    from retrieval.config import load_settings

    path = bot_dir(load_settings()) / "feedback.sqlite3"
    rows = list(FeedbackStore(path).export()) if path.exists() else []
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "csv":
            write_csv(rows, stream)
        else:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if output:
            stream.close()
    typer.echo(f"{len(rows)} votes exported" + (f" to {output}" if output else ""), err=True)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``feedback`` and ``follow`` to the ``newsbot`` command."""
    from bot.follow_cli import register as register_follow

    app.command("serve")(serve)
    app.command("feedback")(feedback)
    register_follow(app)
