"""End to end, a reply that feels live: ``newsbot serve`` in LLM mode, against the loopback model (which
streams server-sent events) and the Telegram Bot API emulator. The question gets 👀 at once; the answer
shows as a draft in a private chat and as a message edited at a safe rate in a group, then comes cited;
``@bot question`` is answered inline with a cited answer.

The loopback model holds each streamed answer halfway until the test lets it go on, so what a user sees of a
half-written answer is checked without depending on timing. Uses the emulator set-up of ``test_bot_e2e``
(its own emulator and bot process; skipped without node).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_bot_e2e as shared
from emulator_client import BOT_USERNAME, BotMessage, EmulatorClient, joined
from llm_server import FakeLLM, halfway, serve, stop

from retrieval.answering.stream import partial_answer, readable

pytestmark = [pytest.mark.server, pytest.mark.slow]

node_modules = shared.node_modules  # the fixtures, one emulator per module
workdir = shared.workdir
emulator = shared.emulator
KEY = "sk-live-e2e-RecognisableApiKey"
QUESTION = "Who is Finland's prime minister?"
EXPECTED = "Marin"
HOLD_S = 120.0


@pytest.fixture(scope="module")
def model() -> Iterator[FakeLLM]:
    """The loopback model the bot talks to."""
    fake = FakeLLM()
    server, thread = serve(fake)
    yield fake
    stop(fake, server, thread)


@pytest.fixture(scope="module")
def bot(workdir: Path, emulator: str, model: FakeLLM) -> Iterator[shared.Process]:
    """The seeds ingested, then ``newsbot serve`` in LLM mode."""
    env = shared._bot_env(
        workdir,
        emulator,
        NEWSBOT_COLLECTION="bot_live_e2e",
        NEWSBOT_LLM_BASE_URL=model.base_url,
        NEWSBOT_LLM_MODEL="loopback",
        NEWSBOT_LLM_API_KEY=KEY,
        NEWSBOT_LLM_TIMEOUT_S="180",  # longer than any hold: a held answer is slow, not failed
        NEWSBOT_STREAM_EDIT_INTERVAL_S="0.5",
    )
    ingest = subprocess.run(
        [*shared._newsbot(), "ingest", str(shared.ROOT / "seeds")],
        env=env,
        cwd=shared.ROOT,
        capture_output=True,
        timeout=300,
    )
    assert ingest.returncode == 0, ingest.stderr.decode(errors="replace")[-3000:]
    process = shared.Process(
        "serve-live", [*shared._newsbot(), "serve", "--log-level", "DEBUG"], env, workdir
    )
    try:
        process.start("newsbot ready")
        yield process
    finally:
        process.stop()


@pytest.fixture
def client(bot: shared.Process, emulator: str, model: FakeLLM) -> Iterator[EmulatorClient]:
    model.reset()
    users = EmulatorClient(emulator, shared.TOKEN)
    yield users
    users.close()
    model.resume.set()  # never leave the bot waiting on a held answer
    assert not model.errors, "the loopback model's script broke"


def held_text(model: FakeLLM) -> str:
    """What a user should see while the model is held: the readable first half of its answer."""
    assert model.held.wait(HOLD_S), "the bot never asked the model for a streamed answer"
    content = model.replies[-1]
    return readable(partial_answer(content[: halfway(content)]) or "")


def words(message: BotMessage) -> str:
    """A final answer's text as the preview showed it: no markers."""
    return readable(message.text)


def test_private_question_gets_a_reaction_a_draft_then_the_cited_answer(
    client: EmulatorClient, model: FakeLLM
) -> None:
    model.hold = True
    user = 2070
    question_id = client.send(user, QUESTION)
    reaction = client.wait_call("setMessageReaction", lambda c: int(c["chat_id"]) == user)
    assert int(reaction["message_id"]) == question_id
    assert reaction["reaction"] == [{"type": "emoji", "emoji": "👀"}]

    half = held_text(model)
    client.wait_call("sendMessageDraft", lambda c: int(c["chat_id"]) == user and c["text"] == half, HOLD_S)
    assert client.quiet(user, 0.3) == [], "no answer while the model is still writing"
    model.resume.set()
    answer = client.answer(user)

    text = shared._check_answer(answer, EXPECTED)
    drafts = [c for c in client.bot_calls("sendMessageDraft") if int(c["chat_id"]) == user]
    assert {int(c["draft_id"]) for c in drafts} == {question_id}
    assert all("parse_mode" not in c for c in drafts), "drafts are plain text"
    assert words(answer[0]).startswith(half) and len(half) < len(text)
    (streamed,) = model.of_kind("answer")
    assert streamed.body.get("stream") is True


def test_group_answer_is_one_message_edited_into_the_cited_answer(
    client: EmulatorClient, model: FakeLLM
) -> None:
    model.hold = True
    mention = f"@{BOT_USERNAME} who is Finland's prime minister?"
    client.send(
        2071, mention, chat_id=shared.GROUP, entities=[{"type": "mention", "offset": 0, "length": 12}]
    )
    partial = client.reply(shared.GROUP, HOLD_S)
    assert partial.text.endswith(" …") and not partial.buttons and "Sources" not in partial.text
    half = held_text(model)
    model.resume.set()

    final = _edited_until_buttons(client, partial.message_id)
    shared._check_answer([final], EXPECTED)
    assert words(final).startswith(partial.text.removesuffix(" …")) and half
    edits = [c for c in client.bot_calls("editMessageText") if int(c["message_id"]) == partial.message_id]
    assert edits[-1]["parse_mode"] == "HTML" and all("parse_mode" not in c for c in edits[:-1])
    chunks = len(model.replies[-1]) // 6
    assert len(edits) - 1 <= 3 < chunks, f"{len(edits) - 1} edits for {chunks} streamed pieces: not coalesced"
    assert client.quiet(shared.GROUP, 0.5) == [], "the answer replaced the streamed message"
    assert not [c for c in client.bot_calls("sendMessageDraft") if int(c["chat_id"]) == shared.GROUP]


def _edited_until_buttons(client: EmulatorClient, message_id: int) -> BotMessage:
    deadline = time.monotonic() + HOLD_S
    while True:
        found = next((m for m in client.history() if m.message_id == message_id), None)
        if found is not None and found.buttons:
            return found
        assert time.monotonic() < deadline, f"message {message_id} never became the answer: {found}"
        time.sleep(0.1)


def test_inline_query_is_answered_with_a_cited_answer(client: EmulatorClient) -> None:
    answered = client.inline_answer(client.send_inline(2072, QUESTION))
    (result,) = answered["results"]
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and answered["is_personal"] in (True, "true")
    assert EXPECTED in content["message_text"] and "[1]" in content["message_text"]
    assert "Sources" in content["message_text"] and QUESTION.replace("'", "&#x27;") in content["message_text"]
    empty = client.inline_answer(client.send_inline(2072, "  "))
    assert empty["results"] == [] and empty["button"]["text"] == "Type a question about the news"
    refused = client.inline_answer(client.send_inline(shared.STRANGER, QUESTION))
    assert refused["results"] == [] and refused["button"]["text"] == "This bot is private"


def test_a_failed_reaction_and_refused_drafts_still_give_the_answer(client: EmulatorClient) -> None:
    client.inject("setMessageReaction", 400)
    client.inject("sendMessageDraft", 400, count=50)
    text = joined(client.ask(2073, QUESTION))
    assert EXPECTED in text and "Sources" in text


def test_secrets_never_logged(bot: shared.Process) -> None:
    logs = bot.output()
    assert "sendMessageDraft" in logs and "answerInlineQuery" in logs  # DEBUG logging was really on
    for secret in (shared.TOKEN, KEY):
        assert secret not in logs and secret.split(":")[-1] not in logs
