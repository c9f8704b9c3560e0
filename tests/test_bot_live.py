"""bot/streaming.py and the live parts of bot/handlers.py without a network: the 👀 reaction, an answer
streamed as a draft (private chats) or as edits (groups) and then sent cited, and what happens when Telegram
refuses any of it. The fake engine writes its answer word by word and can pause halfway, so a test looks at
the half-written answer without depending on timing."""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot_support import FakeEngine, bot_settings, fake_index, message, running_bot

from retrieval.citations import MARKER

QUESTION = "Did Finland apply for NATO membership?"
GROUP = -500
WAIT_S = 10.0


async def until(check: Callable[[], Any]) -> Any:
    """Poll ``check`` until it returns something truthy (bounded)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not (found := check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
    return found


def plain(text: str) -> str:
    """The readable words of an HTML answer, without markers."""
    return " ".join(MARKER.sub("", html.unescape(re.sub(r"<[^>]+>", "", text))).split())


def mention(text: str) -> dict[str, Any]:
    """A group message addressed to the bot."""
    return message(
        f"@TestNameBot {text}", chat_id=GROUP, entities=[{"type": "mention", "offset": 0, "length": 12}]
    )


def streaming_bot(tmp_path: Path, **settings: Any) -> tuple[Any, FakeEngine, threading.Event]:
    index = fake_index(tmp_path)
    resume = threading.Event()
    engine = FakeEngine(index, stream=True, resume=resume)
    values = {"rate_limit_per_minute": 100, "stream_draft_interval_s": 0, "stream_edit_interval_s": 0.5}
    return running_bot(bot_settings(tmp_path, **(values | settings)), index, engine), engine, resume


async def test_a_question_gets_the_seen_reaction_on_itself(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        update = message(QUESTION)
        await bot.send(update)
        (reaction,) = await until(lambda: bot.request.sent("setMessageReaction"))
        assert reaction["chat_id"] == 42 and reaction["message_id"] == update["message"]["message_id"]
        assert reaction["reaction"] == [{"type": "emoji", "emoji": "👀"}]
        assert len(bot.request.sent()) == 1  # the answer, whole: the fake engine is not streaming


async def test_a_refused_reaction_never_costs_the_answer(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        bot.request.fail_next("setMessageReaction", 400, description="Bad Request: REACTION_INVALID")
        await bot.send(message(QUESTION))
        (answer,) = bot.request.sent()
        assert "Sources" in answer["text"] and bot.request.sent("setMessageReaction") == []


async def test_private_chat_sees_a_plain_draft_then_the_cited_answer(tmp_path: Path) -> None:
    harness, engine, resume = streaming_bot(tmp_path)
    async with harness as bot:
        update = message(QUESTION)
        task = asyncio.create_task(bot.send(update))
        drafts = await until(
            lambda: [d for d in bot.request.sent("sendMessageDraft") if d["text"].count(" ") >= 2]
        )
        assert bot.request.sent() == [], "the final answer waits for the whole answer"
        half = drafts[-1]["text"]
        resume.set()
        await task
        (final,) = bot.request.sent()
        everything = bot.request.sent("sendMessageDraft")
        assert {d["chat_id"] for d in everything} == {42}
        assert {d["draft_id"] for d in everything} == {update["message"]["message_id"]}
        assert all("parse_mode" not in d and "[" not in d["text"] for d in everything)  # plain, no markers
        full = plain(final["text"])
        assert final["parse_mode"] == "HTML" and "Sources" in final["text"] and final["reply_markup"]
        assert full.startswith(half) and len(half) < len(full)
        assert engine.listeners == [True]


async def test_group_sees_one_message_edited_at_a_safe_rate_into_the_cited_answer(tmp_path: Path) -> None:
    harness, _, resume = streaming_bot(tmp_path)
    async with harness as bot:
        task = asyncio.create_task(bot.send(mention(QUESTION)))
        (partial,) = await until(lambda: bot.request.sent())
        assert (
            "parse_mode" not in partial
            and partial["text"].endswith(" …")
            and "Sources" not in partial["text"]
        )
        resume.set()
        await task
        assert len(bot.request.sent()) == 1, "no second message: the streamed one becomes the answer"
        edits = bot.request.sent("editMessageText")
        final = edits[-1]
        assert final["parse_mode"] == "HTML" and "Sources" in final["text"] and final["reply_markup"]
        assert final["message_id"] == 1001  # the message the partial answer went out as
        words = len(plain(final["text"]).split())
        assert len(edits) - 1 < words // 2, "edits are spaced out, not one per word"
        assert bot.request.sent("sendMessageDraft") == []  # drafts are for private chats only


async def test_refused_drafts_stop_the_preview_not_the_answer(tmp_path: Path) -> None:
    harness, _, resume = streaming_bot(tmp_path)
    resume.set()
    async with harness as bot:
        bot.request.fail_next("sendMessageDraft", 400, count=100, description="Bad Request: method not found")
        await bot.send(message(QUESTION))
        (final,) = bot.request.sent()
        assert "Sources" in final["text"] and final["reply_markup"]
        draft_calls = [c for c in bot.request.failures if c.method == "sendMessageDraft"]
        assert draft_calls[0].count == 99, "one refused draft, then no more tries"


async def test_streaming_can_be_switched_off(tmp_path: Path) -> None:
    harness, engine, resume = streaming_bot(tmp_path, stream_answers=False)
    resume.set()
    async with harness as bot:
        await bot.send(mention(QUESTION))
        assert len(bot.request.sent()) == 1 and bot.request.sent("editMessageText") == []
        assert engine.listeners == [False]


async def test_help_tells_about_inline_mode(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        await bot.send(message("/help"))
        assert "@TestNameBot your question" in bot.replies()[-1]


async def test_link_previews_are_off_in_every_message(tmp_path: Path) -> None:
    settings = bot_settings(tmp_path, allowed_chats=[42])
    async with running_bot(settings, fake_index(tmp_path)) as bot:
        await bot.send(message(QUESTION))  # an answer, through bot.messaging
        await bot.send(message(QUESTION, user_id=43))  # the refusal, sent outside bot.messaging
        answer, refusal = bot.request.sent()
        assert "Sorry, this bot is private" in refusal["text"]
        for sent in (answer, refusal):
            assert sent["link_preview_options"] == {"is_disabled": True}


async def test_a_draft_held_by_flood_control_is_dropped_not_waited_for(tmp_path: Path) -> None:
    harness, _, resume = streaming_bot(tmp_path)
    resume.set()
    async with harness as bot:
        bot.request.fail_next("sendMessageDraft", 429, retry_after=600)
        await bot.send(message(QUESTION))
        (final,) = bot.request.sent()
        assert "Sources" in final["text"] and final["reply_markup"]
        assert bot.request.sent("sendMessageDraft") == [], "the draft's retry was dropped with it"
