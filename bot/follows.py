"""Followed questions, the Telegram side: after each ingest, answer every chat's follows again and message a
chat only when its answer changed, saying what changed.

"After each ingest" covers two cases. The bot's own ingests (admin /ingest, uploaded documents, feed polls)
call :func:`check_soon`. Another process's ingest (a cron ``newsbot ingest``) bumps the index's generation,
which a JobQueue job looks at every ``follow_check_interval_s``. Either way the check runs only when the
generation differs from the one last checked (kept in the store, so a restart catches up), one check at a
time, with the answering on the services executor.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CallbackContext, ContextTypes, Job

from bot import render, texts
from bot.follow_store import Recheck, answer_again
from bot.jobs import run_repeating
from bot.messaging import NO_PREVIEW
from bot.services import Services, services
from retrieval.answering.compose import clip
from retrieval.citations import MARKER
from retrieval.config import Settings
from retrieval.errors import NewsbotError
from retrieval.follows import Change, Source, fingerprint

logger = logging.getLogger("bot.follows")

JOB_NAME = "newsbot.follows"
_CHECK_LOCK = "newsbot.follows.lock"
QUESTION_SHOWN_CHARS = 120
BEFORE_SHOWN_CHARS = 300


def _source(source: Source) -> str:
    when = f" ({source.published.isoformat()})" if source.published else ""
    return render.link(source.title, source.url) + when


def change_lines(change: Change) -> list[str]:
    """The "What changed" lines: new sources, new passages of known ones, and what the answer said before."""
    lines = [texts.FOLLOW_NEW_SOURCE.format(source=_source(s)) for s in change.new_sources]
    lines += [texts.FOLLOW_NEW_PASSAGE.format(source=_source(s)) for s in change.new_passages]
    if change.before is None:
        lines.append(texts.FOLLOW_FIRST_ANSWER)
    else:
        before = clip(MARKER.sub("", change.before), BEFORE_SHOWN_CHARS)
        lines.append(texts.FOLLOW_BEFORE.format(before=render.escape(before)))
    return lines


def update_messages(recheck: Recheck) -> list[str]:
    """The push for a changed follow: the new cited answer and what changed, split under Telegram's limit."""
    assert recheck.change is not None
    question = render.escape(clip(recheck.follow.question, QUESTION_SHOWN_CHARS))
    head = texts.FOLLOW_UPDATE.format(question=question)
    changed = "\n".join([texts.FOLLOW_CHANGED, *change_lines(recheck.change)])
    return render.split_html(f"{render.answer_html(recheck.answer, preface=head)}\n\n{changed}")


def schedule_follow_checks(app: Application, settings: Settings) -> Job:
    """Look for a changed index now and every ``follow_check_interval_s``."""
    return run_repeating(app, _job, settings.follow_check_interval_s, JOB_NAME, "following questions")


def check_soon(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check the follows now, in the background (after this bot's own ingest)."""
    if context.job_queue is not None:
        context.job_queue.run_once(_job, 0, name=f"{JOB_NAME}.now")


async def _job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await check_follows(context.application)


async def check_follows(app: Application) -> int | None:
    """Answer every chat's follows again if the index changed since the last check, and message the chats
    whose answer changed; the generation checked, or None when nothing was done."""
    found = services(CallbackContext(app))
    lock = app.bot_data.setdefault(_CHECK_LOCK, asyncio.Lock())
    async with lock:
        try:
            generation = await found.run(found.index.generation)
        except NewsbotError as exc:  # the index is unreachable: the next look tries again
            logger.warning("follows not checked: %s", exc)
            return None
        if generation == await found.run(found.follows.checked_generation):
            return None  # the common case, answered without taking the file's write lock
        if not await found.run(found.follows.claim_check, generation):
            return None  # checked already, or another bot process sharing the data dir is at it
        done = False  # an error or an undelivered push: the next look checks this generation again
        try:
            follows = await found.run(found.follows.chat_follows)
            rechecks = await found.run(answer_again, follows, found.engine.ask)
            changed = [r for r in rechecks if r.change is not None]
            delivered = [await _push(app, found, r) for r in changed]
            done = all(delivered)
        except NewsbotError as exc:
            logger.warning("follows not checked: %s", exc)
            return None
        finally:
            await found.run(found.follows.finish_check, generation, done=done)
        logger.info(
            "follows checked at index generation %d: %d answered again, %d changed, %d delivered",
            generation,
            len(rechecks),
            len(changed),
            sum(delivered),
        )
        return generation


async def _push(app: Application, found: Services, recheck: Recheck) -> bool:
    """Message the chat about its changed follow and remember the new answer; False to try again later."""
    follow = recheck.follow
    seen = fingerprint(recheck.answer)
    assert seen is not None  # a change always comes with an answer
    if not found.access.allows(follow.chat_id, follow.user_id):  # the chat left the allow-list
        logger.info("follow %d not pushed: its chat is no longer allowed", follow.follow_id)
        return True
    try:
        for chunk in update_messages(recheck):
            await app.bot.send_message(
                follow.chat_id, chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            )
    except Forbidden:  # the user blocked the bot: nobody to tell, now or later
        logger.info("follow %d not pushed: the bot may not write to its chat", follow.follow_id)
    except TelegramError as exc:
        logger.warning("follow %d not pushed (%s); trying again later", follow.follow_id, type(exc).__name__)
        return False
    await found.run(found.follows.remember, follow.follow_id, seen)
    return True
