"""bot/inline.py without a network: ``@bot question`` answered with one cited result, a hint for an empty
query, the access policy and the rate limit applied, and a half-typed question never answered."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

from bot_support import bot_settings, fake_index, running_bot, telegram_html_error, user

from retrieval.errors import IndexUnavailableError

_ids = itertools.count(1)
QUESTION = "Did Finland apply for NATO membership?"


def inline_query(text: str, user_id: int = 42) -> dict[str, Any]:
    """An inline query update, as Telegram sends one while the user types ``@bot text``."""
    n = next(_ids)
    return {
        "update_id": 900_000 + n,
        "inline_query": {
            "id": f"iq{n}",
            "from": user(user_id),
            "query": text,
            "offset": "",
            "chat_type": "group",
        },
    }


async def test_inline_question_gets_one_cited_html_result(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        update = inline_query(f"  {QUESTION}  ")
        await bot.send(update)
        (answered,) = bot.request.sent("answerInlineQuery")
        assert answered["inline_query_id"] == update["inline_query"]["id"]
        assert answered["is_personal"] is True and answered["cache_time"] <= 30
        (result,) = answered["results"]
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML" and telegram_html_error(content["message_text"]) is None
        assert content["link_preview_options"] == {"is_disabled": True}
        assert f"<b>{QUESTION}</b>" in content["message_text"]
        assert "[1]" in content["message_text"] and "<b>Sources</b>" in content["message_text"]
        assert "Finland applies to join NATO" in content["message_text"]  # the cited title
        assert "Niinisto" in result["description"] and "[1]" not in result["description"]
        assert bot.engine.calls == [(QUESTION, None)]


async def test_inline_answers_depend_on_the_question(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        await bot.send(inline_query("Who leads the Social Democrats party?"))
        (answered,) = bot.request.sent("answerInlineQuery")
        assert "Magdalena Andersson" in answered["results"][0]["input_message_content"]["message_text"]


async def test_empty_inline_query_gets_a_hint_and_no_answer(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        await bot.send(inline_query("   "))
        (answered,) = bot.request.sent("answerInlineQuery")
        assert answered["results"] == []
        assert answered["button"]["text"] == "Type a question about the news"
        assert bot.engine.calls == []


async def test_only_the_last_of_quickly_typed_queries_is_answered(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        typed = [inline_query(QUESTION[:n]) for n in (10, 25, len(QUESTION))]
        await asyncio.gather(*(bot.send(u) for u in typed))
        (answered,) = bot.request.sent("answerInlineQuery")
        assert answered["inline_query_id"] == typed[-1]["inline_query"]["id"]
        assert [q for q, _ in bot.engine.calls] == [QUESTION]


async def test_inline_users_off_the_allow_list_are_told_it_is_private(tmp_path: Path) -> None:
    settings = bot_settings(tmp_path, allowed_chats=[42], admins=[7])
    async with running_bot(settings, fake_index(tmp_path)) as bot:
        await bot.send(inline_query(QUESTION, user_id=43))
        (refused,) = bot.request.sent("answerInlineQuery")
        assert refused["results"] == [] and refused["button"]["text"] == "This bot is private"
        assert bot.engine.calls == []
        await bot.send(inline_query(QUESTION, user_id=42))  # allowed: their own chat is on the list
        await bot.send(inline_query(QUESTION, user_id=7))  # admins are allowed everywhere
        assert [len(a["results"]) for a in bot.request.sent("answerInlineQuery")] == [0, 1, 1]


async def test_inline_questions_count_against_the_rate_limit(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path, rate_limit_per_minute=1), fake_index(tmp_path)) as bot:
        await bot.send(inline_query(QUESTION))
        await bot.send(inline_query("Who leads the Social Democrats party?"))
        first, second = bot.request.sent("answerInlineQuery")
        assert len(first["results"]) == 1
        assert second["results"] == [] and second["button"]["text"].startswith("Too many questions: wait")


async def test_a_failing_engine_gives_a_short_hint_not_an_error_text(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        bot.engine.error = IndexUnavailableError("chroma at 10.0.0.5:8000 refused the connection")
        await bot.send(inline_query(QUESTION))
        (answered,) = bot.request.sent("answerInlineQuery")
        assert (
            answered["results"] == [] and answered["button"]["text"] == "No answer right now: try again soon"
        )
        assert "10.0.0.5" not in str(answered)
