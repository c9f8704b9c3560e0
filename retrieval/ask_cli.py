"""``newsbot ask`` and ``newsbot chat``: cited answers in the terminal."""

from __future__ import annotations

import io
import json
import sys
import time
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from retrieval.cli import configured_settings, console, err, fail, index_stats, open_configured_index
from retrieval.collector import loading
from retrieval.errors import NewsbotError
from retrieval.querytext import unreadable
from retrieval.terminal import link, text

if TYPE_CHECKING:
    from retrieval.answering import AnswerEngine
    from retrieval.types import Answer

CHAT_HELP = (
    "Ask about the news articles. Follow-up questions work. /reset starts over, /quit or Ctrl-D leaves."
)


def render_answer(answer: Answer) -> None:
    """The answer, then a table of its sources with the quoted words (article text is never markup)."""
    style = "yellow" if answer.abstained else "green"
    console.print(Panel(text(answer.text), border_style=style, title="answer", title_align="left"))
    if not answer.citations:
        searched = _searched(answer)
        if searched:  # a plain decline still says where it looked (from the answer's trace)
            console.print(text("searched: " + "; ".join(searched), "dim"))
        return
    table = Table("#", "source", "quote", show_lines=True, title="sources", title_justify="left")
    for c in answer.citations:
        where = text(c.title) + text(f"\n{c.file_name} · chars {c.start_char}–{c.end_char}", "dim")
        if c.url:
            where += text("\n") + link(c.url)
        table.add_row(str(c.n), where, text(f"“{c.quote}”"))
    console.print(table)


def _searched(answer: Answer, shown: int = 3) -> list[str]:
    """The articles the answer's search ranked first, as "title (file)", best first."""
    if answer.trace is None:
        return []
    found: dict[str, str] = {}
    for hit in answer.trace.hits:
        found.setdefault(hit.article.article_id, f"{hit.article.title} ({hit.article.file_name})")
    return list(found.values())[:shown]


def build_configured_engine() -> AnswerEngine:
    """The engine over the configured index (generative when NEWSBOT_LLM_* is set)."""
    from retrieval.answering import build_engine

    settings = configured_settings()
    return build_engine(settings, open_configured_index(settings))


def ask(
    question: Annotated[str, typer.Argument(help="Your question about the articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="The day the question is asked ('last week' is read from it).",
        ),
    ] = None,
) -> None:
    """Answer one question with cited sources."""
    from retrieval.types import to_dict

    started = time.perf_counter()
    problem = unreadable(question)
    if problem:
        raise fail(problem, code=2)
    try:
        asked_on = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise fail(f"--as-of must be a date written YYYY-MM-DD, not {as_of!r}", code=2) from None
    try:
        with loading():  # the first answer loads the entity model: frozen with the rest
            answer = build_configured_engine().ask(question, as_of=asked_on)
    except NewsbotError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        data = to_dict(answer)
        data["timings_ms"] = dict(answer.timings_ms) | {
            "process_to_answer": round((time.perf_counter() - started) * 1000, 1)
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        render_answer(answer)


def chat() -> None:
    """Talk with the articles in the terminal; follow-up questions keep their context."""
    from retrieval.conversation import Conversation

    if isinstance(sys.stdin, io.TextIOWrapper):  # undecodable input becomes a clear message, not a crash
        sys.stdin.reconfigure(errors="surrogateescape")
    engine = build_configured_engine()
    stats = index_stats(engine.index)
    console.print(f"[bold]newsbot[/] · {stats.articles} articles indexed. {CHAT_HELP}")
    conversation = Conversation()
    while True:
        try:
            question = console.input("[bold cyan]you ›[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print("\nbye")
            return
        command = question.strip().lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            console.print("bye")
            return
        if command == "/reset":
            conversation = Conversation()
            console.print("[dim]Conversation cleared.[/]")
            continue
        if not command:
            continue
        problem = unreadable(question)
        if problem:
            err.print(text(problem, "red"))
            continue
        try:
            answer = engine.ask(question, conversation)
        except NewsbotError as exc:
            err.print(text(str(exc), "red"))
            continue
        except KeyboardInterrupt:
            console.print("\n[dim](cancelled)[/]")
            continue
        conversation = conversation.add(answer)
        render_answer(answer)


def register(app: typer.Typer) -> None:
    """Add ``ask`` and ``chat`` to the ``newsbot`` command."""
    app.command()(ask)
    app.command()(chat)
