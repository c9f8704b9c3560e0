"""bot/handlers.py, bot/ingest.py, bot/messaging.py without a network: PTB's own pattern, a recording
``BaseRequest`` and ``Application.process_update`` (the transport validates HTML like Telegram does)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bot_support import (
    FakeEngine,
    Harness,
    bot_settings,
    callback,
    fake_index,
    message,
    running_bot,
)

from retrieval.errors import IndexUnavailableError, LLMTimeoutError

ADMIN = 7


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = bot_settings(tmp_path, admins=[ADMIN], rate_limit_per_minute=100)
    async with running_bot(settings, fake_index(tmp_path)) as harness:
        yield harness


def keyboard(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup")
    if markup is None:
        return []
    data = markup if isinstance(markup, dict) else markup.to_dict()
    return [b["callback_data"] for row in data["inline_keyboard"] for b in row]


async def test_question_gets_cited_answer_with_sources_quotes_and_feedback_buttons(bot: Harness) -> None:
    await bot.send(message("Did Finland apply for NATO membership?"))
    calls = [c.method for c in bot.request.calls]
    assert calls.index("sendChatAction") < calls.index("sendMessage")  # typing first
    (sent,) = bot.request.sent()
    text = sent["text"]
    assert sent["parse_mode"] == "HTML"
    assert "[1]" in text and "<b>Sources</b>" in text and "<blockquote expandable>" in text
    assert "Finland applies to join NATO" in text  # the cited article's title
    assert "&lt;quickly&gt; &amp; firmly" in text  # article text escaped
    buttons = keyboard(sent)
    assert [b.rsplit(":", 1)[1] for b in buttons] == ["up", "down"]
    question, conversation = bot.engine.calls[0]
    assert question == "Did Finland apply for NATO membership?" and conversation is not None


async def test_answers_depend_on_the_question(bot: Harness) -> None:
    await bot.send(message("Who leads the Social Democrats party?"))
    await bot.send(message("Tell me about kangaroos jumping", user_id=43))
    sweden, nothing = bot.replies()
    assert "Magdalena Andersson" in sweden and "Sweden follows Finland" in sweden
    assert "found nothing about “Tell me about kangaroos jumping”" in nothing


async def test_follow_up_uses_the_chat_conversation_and_reset_forgets_it(bot: Harness) -> None:
    await bot.send(message("What did Sanna Marin say about NATO?"))
    await bot.send(message("And what about her?"))
    _, conversation = bot.engine.calls[1]
    assert conversation is not None and [t.question for t in conversation.turns] == [
        "What did Sanna Marin say about NATO?"
    ]
    assert "Understood as:" in bot.replies()[1]
    await bot.send(message("/reset"))
    assert "forgotten" in bot.replies()[2]
    await bot.send(message("And what about her?"))
    _, after_reset = bot.engine.calls[2]
    assert after_reset is not None and after_reset.turns == ()
    await bot.send(message("What about her?", user_id=99))  # another chat has its own (empty) conversation
    assert bot.engine.calls[3][1].turns == ()  # type: ignore[union-attr]


async def test_start_help_and_sources(bot: Harness) -> None:
    await bot.send(message("/start"))
    await bot.send(message("/help"))
    await bot.send(message("/sources"))
    start, help_text, sources = bot.replies()
    assert "read 2 news articles" in start and "Finland applies to join NATO" in start
    assert "/reset" in help_text and "/ask" in help_text
    assert "I know 2 articles (4 passages)" in sources
    assert re.search(r"1\. Finland applies to join NATO · 2 passages", sources)
    assert re.search(r"2\. Sweden follows Finland · 2 passages", sources)


async def test_sources_after_a_question_lists_what_its_search_ranked_first(bot: Harness) -> None:
    await bot.send(message("Did Sweden follow Finland?"))
    await bot.send(message("/sources"))
    sources = bot.replies()[-1]
    last, everything = sources.split("I know 2 articles")
    assert "For your last question, “Did Sweden follow Finland?”, I searched" in last
    # the fake engine ranks the Sweden article first: the trace's order, not the listing's
    assert re.search(r"1\. Sweden follows Finland · 2 passages", last)
    assert re.search(r"1\. Finland applies to join NATO · 2 passages", everything)


async def test_groups_answer_only_when_addressed(bot: Harness) -> None:
    group = -500
    await bot.send(message("Did Finland apply for NATO?", chat_id=group))
    assert bot.request.sent() == []
    mention = "@TestNameBot did Finland apply for NATO?"
    await bot.send(message(mention, chat_id=group, entities=[{"type": "mention", "offset": 0, "length": 12}]))
    assert bot.engine.calls[-1][0].strip() == "did Finland apply for NATO?"
    bot_reply = {"message_id": 5, "date": 0, "chat": {"id": group, "type": "group"}, "from": {"id": 666,
                 "is_bot": True, "first_name": "TestBot"}, "text": "earlier answer"}  # fmt: skip
    await bot.send(message("And Sweden?", chat_id=group, reply_to_message=bot_reply))
    await bot.send(message("/ask@TestNameBot Who leads the Social Democrats party?", chat_id=group))
    await bot.send(message("/ask", chat_id=group))
    assert len(bot.engine.calls) == 3
    assert bot.engine.calls[2][0] == "Who leads the Social Democrats party?"
    assert "Send your question after the command" in bot.replies()[-1]


async def test_chats_off_the_allow_list_are_refused(tmp_path: Path) -> None:
    settings = bot_settings(tmp_path, allowed_chats=[42], admins=[ADMIN])
    async with running_bot(settings, fake_index(tmp_path)) as bot:
        await bot.send(message("Did Finland apply?", user_id=42))
        await bot.send(message("Did Finland apply?", user_id=43))
        await bot.send(message("Did Finland apply?", user_id=ADMIN))  # admins are allowed anywhere
        await bot.send(message("chatter in a group", user_id=44, chat_id=-9))  # not addressed: silence
        await bot.send(callback("fb:abc:up", user_id=45))
        assert len(bot.engine.calls) == 2
        assert bot.replies()[1] == "Sorry, this bot is private and not available in this chat."
        assert len(bot.replies()) == 3
        assert bot.request.sent("answerCallbackQuery")[0]["text"].startswith("Sorry, this bot is private")


async def test_feedback_vote_is_stored_and_ticked(bot: Harness) -> None:
    await bot.send(message("Did Finland apply for NATO membership?"))
    up = keyboard(bot.request.sent()[0])[0]
    await bot.send(callback(up, message_id=77))
    assert bot.request.sent("answerCallbackQuery")[-1]["text"] == "Thanks for the feedback!"
    (edit,) = bot.request.sent("editMessageReplyMarkup")
    assert edit["message_id"] == 77
    labels = [b["text"] for row in edit["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["👍 ✓", "👎"]
    from bot.services import SERVICES_KEY

    (row,) = list(bot.app.bot_data[SERVICES_KEY].feedback.export())
    assert row["vote"] == "up" and row["question"] == "Did Finland apply for NATO membership?"
    assert row["citations"] and row["citations"][0]["file_name"] == "finland.txt"
    await bot.send(callback("fb:000000000000:down"))
    assert "can't find that answer" in bot.request.sent("answerCallbackQuery")[-1]["text"]


async def test_non_admins_cannot_ingest(bot: Harness) -> None:
    await bot.send(message("/ingest Some title\nSome text about pelicans."))
    document = {"file_id": "f1", "file_unique_id": "u1", "file_name": "x.txt", "file_size": 10}
    await bot.send(message(document=document))
    assert bot.replies() == [bot.replies()[0]] * 2 and "only the bot's admins" in bot.replies()[0]
    assert len(bot.index.docs) == 2


async def test_admin_ingests_pasted_text_idempotently_then_it_is_answered(bot: Harness) -> None:
    article = "/ingest Pelicans in Helsinki\nA flock of pelicans landed in Helsinki harbour on Monday."
    await bot.send(message(article, user_id=ADMIN))
    await bot.send(message(article, user_id=ADMIN))
    added, unchanged = bot.replies()
    assert added.startswith("Added Pelicans in Helsinki (2 passages)")
    assert "already have Pelicans in Helsinki" in unchanged
    await bot.send(message("Where did the pelicans land?", user_id=ADMIN))
    assert "Helsinki harbour" in bot.replies()[2]


async def test_admin_ingests_a_document(bot: Harness) -> None:
    bot.request.files["doc1"] = b"Moose parade\nA moose parade crossed Oulu on <Tuesday> & Wednesday.\n"
    document = {"file_id": "doc1", "file_unique_id": "u1", "file_name": "../moose news.txt", "file_size": 60}
    await bot.send(message(document=document, user_id=ADMIN))
    assert bot.replies()[0].startswith("Added moose_news.txt (2 passages)")
    saved = Path(next(p for p in bot.index.docs if p.endswith("moose_news.txt")))
    assert saved.parent.name == "uploads" and saved.read_bytes().startswith(b"Moose parade")
    await bot.send(message("Which city did the moose parade cross?", user_id=ADMIN))
    assert "crossed Oulu on <Tuesday> & Wednesday" in bot.replies()[1]
    pdf = {"file_id": "doc2", "file_unique_id": "u2", "file_name": "report.pdf", "file_size": 60}
    await bot.send(message(document=pdf, user_id=ADMIN))
    assert "I can add .txt, .md and .html files" in bot.replies()[2]


async def test_unsupported_and_edited_messages(bot: Harness) -> None:
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    await bot.send(message(photo=photo))
    await bot.send(message(sticker={"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                                    "is_animated": False, "is_video": False, "type": "regular"}))  # fmt: skip
    await bot.send(message("Did Finland apply?", edited=True))
    await bot.send(message(photo=photo, chat_id=-3))  # in groups: ignored
    assert bot.replies() == ["I can only read text. Please type your question."] * 2
    assert bot.engine.calls == []


async def test_rate_limit_answers_slow_down(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path, rate_limit_per_minute=2), fake_index(tmp_path)) as bot:
        for _ in range(3):
            await bot.send(message("Did Finland apply?"))
        await bot.send(message("Did Finland apply?", user_id=43))
        assert len(bot.engine.calls) == 3
        assert re.fullmatch(r"You're asking faster than I can read 🙂 Please wait \d+ s and ask again\.",
                            bot.replies()[2])  # fmt: skip


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (IndexUnavailableError("chroma at /secret/path is down"), "article store is not reachable"),
        (LLMTimeoutError("endpoint http://10.0.0.1 timed out"), "took too long"),
        (RuntimeError("boom with internal detail"), "something went wrong"),
    ],
)
async def test_errors_become_one_friendly_sentence(
    tmp_path: Path, error: Exception, sentence: str, caplog: pytest.LogCaptureFixture
) -> None:
    index = fake_index(tmp_path)
    async with running_bot(bot_settings(tmp_path), index, FakeEngine(index, error=error)) as bot:
        await bot.send(message("Did Finland apply?"))
        (reply,) = bot.replies()
        assert sentence in reply
        assert str(error) not in reply and "Error" not in reply
    assert type(error).__name__ in caplog.text  # logged for the operator


async def test_flood_control_and_network_errors_are_retried(bot: Harness) -> None:
    bot.request.fail_next("sendMessage", 429, retry_after=1)
    bot.request.fail_next("sendMessage", 502)
    await bot.send(message("Did Finland apply for NATO membership?"))
    (sent,) = bot.request.sent()
    assert "Finland" in sent["text"]


async def test_refused_html_falls_back_to_plain_text(bot: Harness) -> None:
    bot.request.fail_next("sendMessage", 400, description="Bad Request: can't parse entities: oops")
    await bot.send(message("Did Finland apply for NATO membership?"))
    (sent,) = bot.request.sent()
    assert "parse_mode" not in sent and "<b>" not in sent["text"] and "<quickly> & firmly" in sent["text"]
    assert keyboard(sent)


async def test_long_answers_are_split_with_buttons_on_the_last(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    long_text = "Whales\n" + "".join(
        f"whale fact {i} says whales sing songs near Lofoten, " for i in range(150)
    )
    index.add_text(long_text, title="Whales", file_name="whales.txt")
    async with running_bot(bot_settings(tmp_path), index) as bot:
        await bot.send(message("x " * 3000 + "Do whales sing songs?"))  # a 6,000-character question
        sent = bot.request.sent()
        assert len(sent) >= 2
        assert [bool(keyboard(s)) for s in sent] == [False] * (len(sent) - 1) + [True]
        assert all(len(s["text"]) <= 4096 for s in sent)  # the transport also refused invalid HTML
        assert "I read its first 2000 characters" in html.unescape(sent[0]["text"])


async def test_malformed_buttons_and_polling_errors_never_crash(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    from telegram.error import NetworkError

    await bot.send(callback("fb:only-two"))
    await bot.send(callback("fb:abc:sideways"))
    assert [c.get("text") for c in bot.request.sent("answerCallbackQuery")] == [None, None]
    await bot.app.process_error(None, NetworkError("connection refused"))
    assert "Telegram is unreachable (NetworkError)" in caplog.text
    assert bot.request.sent() == []
