"""An answer that shows while the language model writes it, then becomes the cited answer.

    engine's thread ─ on_text(answer so far) ─► latest text ─► pump: one update per interval at most
                                                                ├ private chat: sendMessageDraft (plain)
                                                                └ group: one plain message, then edits
    answer ready ─ pump stopped (an update in flight lands first) ─ the final HTML answer:
                   private: sent as usual; group: the streamed message edited into it

Streaming is a preview: the final answer is the verified one, the same as without streaming. Any failure
to stream (an old Bot API server, a flood limit) stops the preview and nothing else; extractive answers,
which never call ``on_text``, come as one message as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from types import TracebackType

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from bot import texts
from bot.messaging import NO_PREVIEW, edit_html, is_private, send_html
from retrieval.config import Settings

logger = logging.getLogger(__name__)
MAX_PREVIEW_CHARS = 3500  # within Telegram's 4096, counted in UTF-16 units


class LiveReply:
    """Shows one answer to ``message`` while it is written; ``finish`` then sends the cited answer."""

    def __init__(self, bot: Bot, message: Message, settings: Settings) -> None:
        self.bot = bot
        self.message = message
        self.enabled = settings.stream_answers
        self.private = is_private(message)
        self.interval_s = (
            settings.stream_draft_interval_s if self.private else settings.stream_edit_interval_s
        )
        self.sent: Message | None = None  # the group message being edited
        self._latest = ""
        self._changed = asyncio.Event()
        self._open = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pump: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[bool] | None = None

    @property
    def listener(self) -> Callable[[str], None] | None:
        """What the engine should call with the answer so far; None when streaming is off."""
        return self.on_text if self.enabled else None

    def on_text(self, text: str) -> None:
        """Take the answer so far (from any thread); the pump shows the latest."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._take, text)

    def _take(self, text: str) -> None:
        if self._open and text.strip():
            self._latest = text
            self._changed.set()

    async def __aenter__(self) -> LiveReply:
        if self.enabled:
            self._loop = asyncio.get_running_loop()
            self._open = True
            self._pump = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    async def _run(self) -> None:
        """Show the latest text, then rest for the interval; stop at the first failure."""
        shown = ""
        while True:
            await self._changed.wait()
            self._changed.clear()
            text = self._latest[:MAX_PREVIEW_CHARS]
            if text == shown:
                continue
            self._inflight = asyncio.create_task(self._show(text))
            if not await asyncio.shield(self._inflight):
                return
            shown = text
            await asyncio.sleep(self.interval_s)

    async def _show(self, text: str) -> bool:
        """One update of the preview; False when Telegram refused it (streaming stops, the answer won't)."""
        try:
            if self.private:
                await self.bot.send_message_draft(
                    self.message.chat_id,
                    self.message.message_id,  # non-zero and one per question: the draft's id
                    text,
                    message_thread_id=self.message.message_thread_id,
                )
            elif self.sent is None:
                self.sent = await self.message.reply_text(
                    text + texts.STREAMING_MORE, link_preview_options=NO_PREVIEW
                )
            else:
                await self.sent.edit_text(text + texts.STREAMING_MORE, link_preview_options=NO_PREVIEW)
        except TelegramError as exc:
            logger.info("stopped streaming an answer: %s", type(exc).__name__)
            return False
        return True

    async def stop(self) -> None:
        """Stop showing updates. A group edit on its way is let through, so the answer's edit lands after
        it; a draft on its way is dropped (perhaps waiting out a flood limit: the answer must not wait)."""
        self._open = False
        if self._pump is not None:
            self._pump.cancel()
            with suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._inflight is not None:
            if self.private:
                self._inflight.cancel()
            with suppress(asyncio.CancelledError):
                await self._inflight
            self._inflight = None

    async def finish(self, chunks: Sequence[str], markup: InlineKeyboardMarkup | None = None) -> None:
        """Send the cited answer: into the streamed group message when there is one, else as usual."""
        await self.stop()
        if self.sent is None or not chunks:
            await send_html(self.message, chunks, markup)
            return
        first, rest = chunks[0], chunks[1:]
        try:
            await edit_html(self.sent, first, None if rest else markup)
        except TelegramError as exc:  # the message was deleted, say: the answer comes as new messages
            logger.info("could not edit the streamed answer (%s); sending it anew", type(exc).__name__)
            await send_html(self.message, chunks, markup)
            return
        if rest:
            await send_html(self.message, rest, markup)
