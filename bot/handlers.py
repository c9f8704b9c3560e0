"""The bot's update handlers: small async functions, one per command or kind of message, one error handler."""

from __future__ import annotations

import html
import logging
import math
from contextlib import suppress
from typing import cast

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import inline, render, texts
from bot.feedback import VOTES, Vote
from bot.follow_handlers import register as register_follows
from bot.ingest import ingest_command, ingest_document
from bot.messaging import addressed_text, command_payload, react_soon, send_html, typing
from bot.services import services
from bot.streaming import LiveReply

logger = logging.getLogger(__name__)

COMMANDS = (
    BotCommand("start", "What this bot is, with example questions"),
    BotCommand("help", "How to use the bot"),
    BotCommand("sources", "The articles the bot knows"),
    BotCommand("reset", "Forget this conversation"),
    BotCommand("ask", "Ask a question (in groups)"),
    BotCommand("follow", "Be told when new articles change an answer"),
    BotCommand("following", "Your followed questions"),
    BotCommand("unfollow", "Stop following a question"),
)
SOURCES_SHOWN = 50
_NEW_MESSAGE = filters.UpdateType.MESSAGE  # edited messages and channel posts are ignored


# --- access ----------------------------------------------------------------------------------------------
async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop updates from chats that are not on the allow-list, with a polite refusal where one is due."""
    chat, user = update.effective_chat, update.effective_user
    where = chat.id if chat else user.id if user else None  # no chat (inline queries): the user's own
    if services(context).access.allows(where, user.id if user else None):
        return
    if update.callback_query:
        await update.callback_query.answer(texts.NOT_ALLOWED)
    elif update.inline_query:
        await inline.hint(update.inline_query, texts.INLINE_NOT_ALLOWED)
    elif update.message and (
        (update.message.text and update.message.text.startswith("/"))
        or addressed_text(update.message, context.bot)
    ):
        await update.message.reply_text(texts.NOT_ALLOWED)
    raise ApplicationHandlerStop


# --- commands --------------------------------------------------------------------------------------------
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what the bot is, with example questions drawn from the articles it knows."""
    assert update.message
    found = services(context)
    stats = await found.run(found.index.stats)
    titles = [meta.title for meta in stats.sources[:3]]
    examples = [f"• <i>What do you know about “{render.escape(_short(t))}”?</i>" for t in titles] or [
        f"• <i>{q}</i>" for q in texts.GENERIC_EXAMPLES
    ]
    await send_html(
        update.message, [texts.START.format(articles=stats.articles, examples="\n".join(examples))]
    )


def _short(title: str, limit: int = 70) -> str:
    return title if len(title) <= limit else title[: limit - 1].rsplit(" ", 1)[0] + "…"


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands, how the bot behaves in groups and, when it is switched on, inline mode."""
    assert update.message
    inline_hint = (
        texts.HELP_INLINE.format(bot=context.bot.username) if context.bot.supports_inline_queries else ""
    )
    await send_html(update.message, [texts.HELP + inline_hint])


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the articles the bot knows, with passage counts and dates."""
    assert update.message
    found = services(context)
    stats = await found.run(found.index.stats)
    if not stats.sources:
        await send_html(update.message, [texts.SOURCES_EMPTY])
        return
    shown = stats.sources[:SOURCES_SHOWN]
    last = None
    if update.effective_chat:  # the last answer's own search, read from its trace
        conversation = await found.run(found.conversations.load, update.effective_chat.id)
        found_last = conversation.last_search()
        by_id = {meta.article_id: meta for meta in stats.sources}
        searched = [by_id[a] for a in (found_last[1] if found_last else ()) if a in by_id]
        if found_last and searched:
            last = (texts.SOURCES_LAST.format(question=html.escape(found_last[0][:120])), searched)
    wanted = [*shown, *(last[1] if last else [])]
    counts = await found.run(lambda: {m.article_id: found.index.chunk_count(m.article_id) for m in wanted})
    lines = [render.SourceLine(meta, counts[meta.article_id]) for meta in shown]
    more = len(stats.sources) - len(shown)
    header = texts.SOURCES_HEADER.format(articles=stats.articles, chunks=stats.chunks)
    chunks = render.render_sources(
        header,
        lines,
        more=texts.SOURCES_MORE.format(more=more) if more else None,
        last=(last[0], [render.SourceLine(m, counts[m.article_id]) for m in last[1]]) if last else None,
    )
    await send_html(update.message, chunks)


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this chat's conversation."""
    assert update.message and update.effective_chat
    found = services(context)
    async with found.chat_lock(update.effective_chat.id):
        await found.run(found.conversations.clear, update.effective_chat.id)
    await send_html(update.message, [texts.RESET])


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the question after /ask (the way to ask in groups)."""
    assert update.message
    question = command_payload(update.message)
    if not question:
        await send_html(update.message, [texts.ASK_USAGE])
        return
    await answer(update, context, question)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for commands the bot does not have (private chats only)."""
    assert update.message
    await send_html(update.message, [texts.HELP])


# --- questions -------------------------------------------------------------------------------------------
async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text message: any in private chats; in groups only when mentioned or replied to."""
    assert update.message
    text = addressed_text(update.message, context.bot)
    if text is not None:
        await answer(update, context, text)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Rate-limit, react, answer with the chat's conversation as context (streamed in LLM mode), reply with
    the cited answer."""
    assert update.message and update.effective_chat
    found, chat_id = services(context), update.effective_chat.id
    user_id = update.effective_user.id if update.effective_user else chat_id
    text = text.strip()
    if not text:
        await send_html(update.message, [texts.EMPTY_QUESTION])
        return
    wait_s = found.limiter.wait_s(user_id)
    if wait_s > 0:
        await send_html(update.message, [texts.SLOW_DOWN.format(seconds=math.ceil(wait_s))])
        return
    react_soon(context.bot, update.message, texts.SEEN)
    live = LiveReply(context.bot, update.message, found.settings)
    async with found.chat_lock(chat_id), typing(context.bot, chat_id):
        conversation = await found.run(found.conversations.load, chat_id)
        async with live:
            reply = await found.run(found.engine.ask, text, conversation=conversation, on_text=live.listener)
        await found.run(found.conversations.save, chat_id, conversation.add(reply))
        answer_id = await found.run(found.feedback.record_answer, reply, chat_id=chat_id, user_id=user_id)
    limit = found.settings.max_question_chars
    preface = texts.QUESTION_CUT.format(chars=limit) if len(text) > limit else None
    await live.finish(render.render_answer(reply, preface=preface), feedback_keyboard(answer_id))


# --- feedback --------------------------------------------------------------------------------------------
def feedback_keyboard(answer_id: str, chosen: Vote | None = None) -> InlineKeyboardMarkup:
    """👍/👎 under an answer; the chosen one ticked."""
    labels = {"up": "👍", "down": "👎"}
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(labels[v] + (" ✓" if v == chosen else ""), callback_data=f"fb:{answer_id}:{v}")
          for v in VOTES]]
    )  # fmt: skip


async def vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store a 👍/👎 on an answer and tick the chosen button."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    parts = query.data.split(":")
    if len(parts) != 3 or parts[2] not in VOTES:
        await query.answer()
        return
    answer_id, chosen = parts[1], cast(Vote, parts[2])
    found = services(context)
    known = await found.run(found.feedback.vote, answer_id, user_id=update.effective_user.id, vote=chosen)
    await query.answer(texts.FEEDBACK_THANKS if known else texts.FEEDBACK_UNKNOWN)
    if known:
        with suppress(BadRequest):  # "message is not modified" when the same button is tapped twice
            await query.edit_message_reply_markup(feedback_keyboard(answer_id, chosen))


# --- everything else -------------------------------------------------------------------------------------
async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain that only text is understood (photos, stickers, voice… in private chats)."""
    assert update.message
    await send_html(update.message, [texts.UNSUPPORTED])


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception and tell the user, in one friendly sentence, that it did not work."""
    error = context.error
    if isinstance(error, Forbidden):
        logger.info("not allowed to write to a chat (the user blocked the bot?)")
        return
    if update is None and isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        logger.warning("Telegram is unreachable (%s); retrying with back-off", type(error).__name__)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed: %s", update_id, type(error).__name__, exc_info=error)
    if isinstance(update, Update) and update.message:
        with suppress(TelegramError):
            await update.message.reply_text(texts.friendly_error(error))
    elif isinstance(update, Update) and update.callback_query:
        with suppress(TelegramError):
            await update.callback_query.answer(texts.friendly_error(error))


def register(app: Application) -> None:
    """Add every handler, the access gate first and the error handler last."""
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, gate), group=-1)
    register_follows(app)  # before the catch-all command handler below
    app.add_handlers(
        [
            CommandHandler("start", start, filters=_NEW_MESSAGE),
            CommandHandler("help", help_command, filters=_NEW_MESSAGE),
            CommandHandler("sources", sources, filters=_NEW_MESSAGE),
            CommandHandler("reset", reset, filters=_NEW_MESSAGE),
            CommandHandler("ask", ask, filters=_NEW_MESSAGE),
            CommandHandler("ingest", ingest_command, filters=_NEW_MESSAGE),
            CallbackQueryHandler(vote, pattern=r"^fb:"),
            InlineQueryHandler(inline.inline_question),
            MessageHandler(_NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, question),
            MessageHandler(_NEW_MESSAGE & private & filters.Document.ALL, ingest_document),
            MessageHandler(_NEW_MESSAGE & private & filters.COMMAND, unknown_command),
            MessageHandler(_NEW_MESSAGE & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, unsupported),
        ]
    )
    app.add_error_handler(on_error)
