"""``/follow``, ``/following`` and ``/unfollow``: save a question to be answered again after each ingest."""

from __future__ import annotations

import math

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot import render, texts
from bot.follow_store import same_question
from bot.follows import QUESTION_SHOWN_CHARS
from bot.messaging import command_payload, send_html, typing
from bot.services import services
from retrieval.answering.compose import clip
from retrieval.follows import fingerprint


def _shown(question: str) -> str:
    return render.escape(clip(question, QUESTION_SHOWN_CHARS))


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the question now, save it, and say that changes to its answer will be messaged."""
    message, chat = update.message, update.effective_chat
    assert message and chat
    found = services(context)
    question = command_payload(message)[: found.settings.max_question_chars].strip()
    if not question:
        await send_html(message, [texts.FOLLOW_USAGE])
        return
    user_id = update.effective_user.id if update.effective_user else None
    limit = found.settings.follows_per_chat
    followed = await found.run(found.follows.following, chat.id)
    known = next((f for f in followed if same_question(f.question, question)), None)
    if known is not None:
        await send_html(message, [texts.FOLLOW_KNOWN.format(question=_shown(known.question))])
        return
    if len(followed) >= limit:
        await send_html(message, [texts.FOLLOW_FULL.format(limit=limit)])
        return
    wait_s = found.limiter.wait_s(user_id if user_id is not None else chat.id)
    if wait_s > 0:
        await send_html(message, [texts.SLOW_DOWN.format(seconds=math.ceil(wait_s))])
        return
    async with typing(context.bot, chat.id):
        answer = await found.run(found.engine.ask, question)  # no conversation: the question stands alone
        status, _ = await found.run(
            found.follows.add, chat.id, question, fingerprint(answer), limit=limit, user_id=user_id
        )
    if status == "full":  # another message of this chat got there first
        await send_html(message, [texts.FOLLOW_FULL.format(limit=limit)])
        return
    if status == "known":
        await send_html(message, [texts.FOLLOW_KNOWN.format(question=_shown(question))])
        return
    added = texts.FOLLOW_ADDED.format(question=_shown(question))
    if fingerprint(answer) is None:
        await send_html(message, [f"{added}\n\n{texts.FOLLOW_NO_ANSWER_YET}"])
        return
    await send_html(message, render.render_answer(answer, preface=f"{added}\n\n{texts.FOLLOW_NOW}"))


async def following(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the chat's followed questions, numbered as /unfollow takes them."""
    message, chat = update.message, update.effective_chat
    assert message and chat
    found = services(context)
    followed = await found.run(found.follows.following, chat.id)
    if not followed:
        await send_html(message, [texts.FOLLOWING_NONE])
        return
    lines = "\n".join(f"{i}. {_shown(f.question)}" for i, f in enumerate(followed, start=1))
    await send_html(message, render.split_html(texts.FOLLOWING.format(count=len(followed), lines=lines)))


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop following question number n (as /following lists them), or all of them."""
    message, chat = update.message, update.effective_chat
    assert message and chat
    found = services(context)
    target = command_payload(message).strip().lower()
    if target == "all":
        count = await found.run(found.follows.remove_all, chat.id)
        await send_html(
            message, [texts.UNFOLLOWED_ALL.format(count=count) if count else texts.FOLLOWING_NONE]
        )
        return
    if not (target.isascii() and target.isdigit()):
        await send_html(message, [texts.UNFOLLOW_USAGE])
        return
    removed = await found.run(found.follows.remove, chat.id, int(target))
    if removed is None:
        await send_html(message, [texts.UNFOLLOW_MISSING.format(n=int(target))])
        return
    await send_html(message, [texts.UNFOLLOWED.format(question=_shown(removed.question))])


def register(app: Application) -> None:
    """Add the follow commands (before the catch-all handlers, which would otherwise take them)."""
    new_message = filters.UpdateType.MESSAGE
    app.add_handlers(
        [
            CommandHandler("follow", follow, filters=new_message),
            CommandHandler("following", following, filters=new_message),
            CommandHandler("unfollow", unfollow, filters=new_message),
        ]
    )
