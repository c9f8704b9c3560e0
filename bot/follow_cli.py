"""``newsbot follow add|list|remove|check``: follow questions from the terminal.

The CLI's follows live in the bot's follows file under the data dir (as chat 0, apart from every Telegram
chat), bounded by ``NEWSBOT_FOLLOWS_PER_CHAT``. ``check`` answers each one again and prints what changed
since the last answer it showed; run it after ``newsbot ingest`` (e.g. in the same cron job).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.follow_store import FollowStore, Recheck
    from retrieval.follows import Source
    from retrieval.types import Answer

follow_app = typer.Typer(
    help="Follow questions: they are answered again after ingests, and `check` says what changed.",
    no_args_is_help=True,
)


def _store() -> FollowStore:
    from bot.follow_store import FILE_NAME, FollowStore
    from bot.services import bot_dir
    from retrieval.cli import configured_settings

    return FollowStore(bot_dir(configured_settings()) / FILE_NAME)


def _ask(question: str) -> Answer:
    """Answer with the configured engine, ending the command with one line on a library error."""
    from retrieval.ask_cli import build_configured_engine
    from retrieval.cli import fail
    from retrieval.errors import NewsbotError

    try:
        return build_configured_engine().ask(question)
    except NewsbotError as exc:
        raise fail(str(exc)) from exc


@follow_app.command("add")
def add(question: Annotated[str, typer.Argument(help="The question to follow.")]) -> None:
    """Follow a question: answer it now, and remember the answer for `newsbot follow check`."""
    from bot.follow_store import CLI_CHAT
    from retrieval.ask_cli import render_answer
    from retrieval.cli import configured_settings, console, fail
    from retrieval.follows import fingerprint
    from retrieval.querytext import unreadable

    settings = configured_settings()
    question = question[: settings.max_question_chars].strip()
    problem = unreadable(question) or ("" if question else "give the question to follow, in words")
    if problem:
        raise fail(problem, code=2)
    store = _store()
    if len(store.following(CLI_CHAT)) >= settings.follows_per_chat:
        raise fail(_full(settings.follows_per_chat))
    answer = _ask(question)
    status, _ = store.add(
        CLI_CHAT, question, fingerprint(answer), limit=settings.follows_per_chat, user_id=None
    )
    if status == "full":
        raise fail(_full(settings.follows_per_chat))
    if status == "known":
        console.print(
            f"already following “{question}”; `newsbot follow list` shows them all", highlight=False
        )
        return
    console.print(f"following “{question}”. The answer now:", highlight=False)
    render_answer(answer)


def _full(limit: int) -> str:
    return (
        f"already following {limit} questions, the most NEWSBOT_FOLLOWS_PER_CHAT allows; "
        "remove one with `newsbot follow remove N`"
    )


@follow_app.command("list")
def list_follows() -> None:
    """The followed questions, numbered as `remove` takes them."""
    from bot.follow_store import CLI_CHAT
    from retrieval.cli import console

    followed = _store().following(CLI_CHAT)
    if not followed:
        console.print('no followed questions; add one with `newsbot follow add "question"`')
        return
    for i, follow in enumerate(followed, start=1):
        state = "answered" if follow.seen else "no answer yet"
        console.print(f"{i}. {follow.question}  [dim]({state})[/]", highlight=False)


@follow_app.command("remove")
def remove(
    target: Annotated[str, typer.Argument(help="N (as `newsbot follow list` numbers them) or all.")],
) -> None:
    """Stop following question N, or all of them."""
    from bot.follow_store import CLI_CHAT
    from retrieval.cli import console, fail

    store = _store()
    if target.strip().lower() == "all":
        console.print(f"stopped following {store.remove_all(CLI_CHAT)} question(s)")
        return
    if not (target.isascii() and target.isdigit()):
        raise fail(
            f"say which question to stop following: a number from `newsbot follow list`, or all (got {target!r})",
            code=2,
        )
    removed = store.remove(CLI_CHAT, int(target))
    if removed is None:
        raise fail(f"there is no followed question number {target}; `newsbot follow list` shows them")
    console.print(f"stopped following “{removed.question}”", highlight=False)


@follow_app.command("check")
def check() -> None:
    """Answer every followed question again and print what changed since the last answer shown."""
    from bot.follow_store import CLI_CHAT, answer_again
    from retrieval.ask_cli import build_configured_engine
    from retrieval.cli import console, fail
    from retrieval.errors import NewsbotError
    from retrieval.follows import fingerprint

    store = _store()
    followed = store.following(CLI_CHAT)
    if not followed:
        console.print('no followed questions; add one with `newsbot follow add "question"`')
        return
    engine = build_configured_engine()
    try:
        rechecks = answer_again(followed, engine.ask)
    except NewsbotError as exc:
        raise fail(str(exc)) from exc
    for recheck in rechecks:
        _print(recheck)
        seen = fingerprint(recheck.answer)
        if recheck.change is not None and seen is not None:
            store.remember(recheck.follow.follow_id, seen)
    changed = sum(1 for r in rechecks if r.change is not None)
    console.print(f"{len(rechecks)} followed question(s) checked, {changed} changed", highlight=False)


def _print(recheck: Recheck) -> None:
    """One follow's outcome: unchanged, still unanswered, or the new answer and what changed."""
    from retrieval.answering.compose import clip
    from retrieval.ask_cli import render_answer
    from retrieval.citations import MARKER
    from retrieval.cli import console
    from retrieval.terminal import text

    question = recheck.follow.question
    change = recheck.change
    if change is None:
        state = "no answer yet" if recheck.answer.abstained else "no change"
        console.print(text(f"{state}: “{question}”", "dim"), highlight=False)
        return
    console.print(text(f"update on “{question}”:", "bold"), highlight=False)
    render_answer(recheck.answer)
    console.print(text("what changed:", "bold"), highlight=False)
    for source in change.new_sources:
        console.print(text(f"  new source: {_source(source)}"), highlight=False)
    for source in change.new_passages:
        console.print(text(f"  new passage in: {_source(source)}"), highlight=False)
    if change.before is None:
        console.print(text("  the articles did not answer this before"), highlight=False)
    else:
        console.print(text(f"  before: {clip(MARKER.sub('', change.before), 300)}"), highlight=False)


def _source(source: Source) -> str:
    return source.title + (f" ({source.published.isoformat()})" if source.published else "")


def register(app: typer.Typer) -> None:
    """Add ``follow`` (with its subcommands) to the ``newsbot`` command."""
    app.add_typer(follow_app, name="follow")
