"""Inline mode: ``@bot question`` in any chat offers the cited answer as one result to send there.

Telegram sends a new inline query as the user types; a query answers only after a short pause without a
newer one from the same user, so a half-typed question costs no answer. Answers are computed on the
services' executor like chat answers, count against the same per-user rate limit, and are personal (a
cached answer is never shown to a user the access policy refuses).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math

from telegram import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot import render, texts
from bot.messaging import NO_PREVIEW
from bot.services import services
from retrieval.citations import MARKER
from retrieval.errors import NewsbotError
from retrieval.types import Answer

logger = logging.getLogger(__name__)
CACHE_S = 10  # Telegram may reuse an answer this long; articles come and go, so keep it short
TYPING_PAUSE_S = 0.4  # a newer query from the same user within this replaces the waiting one
DESCRIPTION_CHARS = 200
START_PARAMETER = "inline"  # the button under a hint opens the private chat with /start inline
_LATEST = "newsbot.inline_latest"


async def inline_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an inline query with the cited answer (an empty one with a hint)."""
    query = update.inline_query
    assert query
    text = " ".join(query.query.split())
    if not text:
        await hint(query, texts.INLINE_HINT)
        return
    if not await _still_newest(context, query):
        return  # the user typed on; Telegram shows only the answer to the newest query
    found = services(context)
    wait_s = found.limiter.wait_s(query.from_user.id)
    if wait_s > 0:
        await hint(query, texts.INLINE_SLOW_DOWN.format(seconds=math.ceil(wait_s)))
        return
    try:
        reply = await found.run(found.engine.ask, text)
    except NewsbotError as exc:
        logger.warning("an inline answer failed: %s", type(exc).__name__)
        await hint(query, texts.INLINE_FAILED)
        return
    await query.answer([answer_result(reply)], cache_time=CACHE_S, is_personal=True)


async def hint(query: InlineQuery, text: str) -> None:
    """No results, only a button saying ``text`` (it opens the private chat with the bot)."""
    button = InlineQueryResultsButton(text=text, start_parameter=START_PARAMETER)
    await query.answer([], button=button, cache_time=CACHE_S, is_personal=True)


def answer_result(reply: Answer) -> InlineQueryResultArticle:
    """The answer as a result: its message is the question, then the answer as in a chat (HTML)."""
    preface = texts.INLINE_QUESTION.format(question=render.escape(reply.question.strip()))
    body = render.render_answer(reply, preface=preface)[0]  # the first message: answer and sources
    plain = " ".join(MARKER.sub("", reply.text).split())
    return InlineQueryResultArticle(
        id=hashlib.sha256(body.encode()).hexdigest()[:32],
        title=texts.INLINE_TITLE,
        description=plain[:DESCRIPTION_CHARS],
        input_message_content=InputTextMessageContent(
            body, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )


async def _still_newest(context: ContextTypes.DEFAULT_TYPE, query: InlineQuery) -> bool:
    """Wait a typing pause; True when no newer query from the same user came meanwhile."""
    latest: dict[int, str] = context.bot_data.setdefault(_LATEST, {})
    user_id = query.from_user.id
    latest[user_id] = query.id
    await asyncio.sleep(TYPING_PAUSE_S)
    if latest.get(user_id) != query.id:
        return False
    del latest[user_id]  # the map holds only queries still waiting
    return True
