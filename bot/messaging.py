"""Talking to Telegram: replying with HTML robustly (link previews off), the typing action and reactions, and
reading who a message is for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot import render

logger = logging.getLogger(__name__)

TYPING_REFRESH_S = 4.0  # Telegram shows a chat action for about 5 s
SEND_ATTEMPTS = 3
MAX_FLOOD_WAIT_S = 30.0
_reacting: set[asyncio.Task[None]] = set()
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # every answer links its sources; previews would pile up


async def send_html(
    message: Message, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None
) -> None:
    """Reply with HTML messages (the keyboard under the last), retrying network errors and flood waits."""
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await _reply(message, chunk, markup if last else None, quote=None if i == 0 else False)
                break
            except RetryAfter as exc:  # AIORateLimiter retries first; this is the last resort
                if attempt == SEND_ATTEMPTS:
                    raise
                delay = exc.retry_after
                await asyncio.sleep(
                    min(delay.total_seconds() if isinstance(delay, timedelta) else delay, MAX_FLOOD_WAIT_S)
                )
            except BadRequest:
                raise
            except NetworkError:
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(attempt)


async def _reply(
    message: Message, chunk: str, markup: InlineKeyboardMarkup | None, quote: bool | None
) -> None:
    try:
        await message.reply_text(
            chunk,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
            do_quote=quote,
        )
    except BadRequest as exc:
        if "parse" not in exc.message.lower():
            raise
        logger.warning("Telegram refused our HTML; sending plain text instead")
        await message.reply_text(
            render.plain_text(chunk), link_preview_options=NO_PREVIEW, reply_markup=markup, do_quote=quote
        )


async def edit_html(message: Message, chunk: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Turn a message the bot sent into ``chunk`` (HTML; plain text if refused), ``markup`` under it."""
    try:
        await message.edit_text(
            chunk, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=markup
        )
    except BadRequest as exc:
        if "not modified" in exc.message.lower():  # the text was already this: only the keyboard is new
            if markup is not None:
                await message.edit_reply_markup(markup)
            return
        if "parse" not in exc.message.lower():
            raise
        logger.warning("Telegram refused our HTML; editing in plain text instead")
        await message.edit_text(
            render.plain_text(chunk), link_preview_options=NO_PREVIEW, reply_markup=markup
        )


def react_soon(bot: Bot, message: Message, emoji: str) -> None:
    """React to ``message`` in the background: the answer never waits for the reaction."""
    task = asyncio.create_task(react(bot, message, emoji))
    _reacting.add(task)  # asyncio holds tasks weakly; this keeps each one until it is done
    task.add_done_callback(_reacting.discard)


async def react(bot: Bot, message: Message, emoji: str) -> None:
    """Put ``emoji`` on ``message`` (the bot has seen it), best-effort: a failure changes nothing else."""
    try:
        await bot.set_message_reaction(message.chat_id, message.message_id, emoji)
    except TelegramError as exc:  # reactions off in this chat, an old Bot API server, a network error
        logger.debug("could not react to a message: %s", type(exc).__name__)


@asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""

    async def keep_typing() -> None:
        while True:
            with suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REFRESH_S)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def is_private(message: Message) -> bool:
    """True for a one-to-one chat with the bot."""
    return message.chat.type == ChatType.PRIVATE


def addressed_text(message: Message, bot: Bot) -> str | None:
    """The question in a message meant for the bot (mention stripped), or None when it is not for us."""
    text = message.text or ""
    if is_private(message):
        return text
    mentions = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    ours = [
        t
        for entity, t in mentions.items()
        if (entity.type == MessageEntity.MENTION and t.lower() == f"@{bot.username}".lower())
        or (entity.user is not None and entity.user.id == bot.id)
    ]
    replied = message.reply_to_message
    if not ours and not (replied and replied.from_user and replied.from_user.id == bot.id):
        return None
    for mention in ours:
        text = text.replace(mention, " ", 1)
    return text


def command_payload(message: Message) -> str:
    """The text after the command (``/ask@bot what…`` -> ``what…``), newlines kept."""
    text = message.text or ""
    command = next(
        (e for e in message.entities if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), None
    )
    if command is None:
        return text.strip()
    return text[len(message.parse_entity(command)) :].strip()
