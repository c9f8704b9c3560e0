"""Streamed answers (retrieval/answering/stream.py and the streaming path of the chat client): the answer
text shows while the loopback model writes it (server-sent events), and the Answer returned is the same
verified one as without streaming. Fallbacks stay fallbacks: a half-written answer never becomes the answer."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest
import test_generative as shared
from llm_server import FakeLLM

from retrieval import AnswerEngine, Index, build_engine
from retrieval.answering.stream import partial_answer, readable
from retrieval.llm import ChatClient

loopback = shared.loopback  # the fixtures: one loopback model for the module
llm = shared.llm
engine = shared.engine
QUESTION = shared.QUESTION


def grows(texts: list[str]) -> bool:
    """Each text extends the one before it."""
    return all(later.startswith(earlier) and later != earlier for earlier, later in itertools.pairwise(texts))


def test_partial_answer_reads_a_reply_cut_anywhere() -> None:
    assert partial_answer('{"answerable": true, "answer": "Sanna Mar') == "Sanna Mar"
    assert partial_answer('{"answerable": true') is None  # "answerable" is not "answer"
    assert partial_answer('{"answer": "She said \\"yes\\" [1') == 'She said "yes" [1'
    assert partial_answer('{"answer": "caf\\u00') == "caf"  # half an escape waits for the rest
    assert partial_answer('{"answer": "Done [1].", "quotes": [{"passage": 1, "quote": "x"}]}') == "Done [1]."
    assert partial_answer('<think>the "answer": "is a guess"</think>{"answer": "Real') == "Real"
    assert partial_answer('```json\n{\n  "answer": "line\none') == "line\none"


def test_readable_drops_markers_even_half_written_ones() -> None:
    assert readable("Marin leads [1]. Andersson [2") == "Marin leads. Andersson"
    assert readable("Marin leads [passage 1, 2] the  government") == "Marin leads the government"


def test_streamed_answer_shows_as_it_is_written_and_ends_as_the_plain_one(
    engine: AnswerEngine, llm: FakeLLM, seed_index: Index
) -> None:
    seen: list[str] = []
    streamed = engine.ask(QUESTION, on_text=seen.append)
    plain = engine.ask(QUESTION)

    assert streamed.mode == plain.mode == "generative"
    assert (streamed.text, streamed.citations) == (plain.text, plain.citations)
    shared.assert_verified(streamed, seed_index)
    assert len(seen) > 3 and grows(seen)
    assert seen[-1] == readable(streamed.text) and "[" not in "".join(seen)
    first, second = llm.of_kind("answer")
    assert first.body.get("stream") is True and not second.body.get("stream")


def test_half_written_answer_that_times_out_falls_back_to_the_extractive_one(
    llm: FakeLLM, seed_index: Index, seed_engine: AnswerEngine, tmp_path: Path
) -> None:
    slow = build_engine(shared.llm_settings(tmp_path, llm.base_url, llm_timeout_s=1), seed_index)
    llm.hold = True  # the model stops halfway and never goes on
    seen: list[str] = []
    answer = slow.ask(QUESTION, on_text=seen.append)

    assert llm.held.is_set() and seen, "half the answer was shown"
    expected = seed_engine.ask(QUESTION)
    assert answer.mode == "extractive" and (answer.text, answer.citations) == (
        expected.text,
        expected.citations,
    )


def test_failing_stream_falls_back_without_showing_anything(engine: AnswerEngine, llm: FakeLLM) -> None:
    llm.behaviour["answer"] = "http500"
    seen: list[str] = []
    answer = engine.ask(QUESTION, on_text=seen.append)
    assert answer.mode == "extractive" and answer.citations and seen == []


def test_a_broken_listener_never_costs_the_answer(
    engine: AnswerEngine, llm: FakeLLM, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def broken(text: str) -> None:
        calls.append(text)
        raise RuntimeError("the chat went away")

    answer = engine.ask(QUESTION, on_text=broken)
    assert answer.mode == "generative" and answer.citations and "Marin" in answer.text
    assert len(calls) == 1, "a failing listener is not called again"
    assert any(
        "streaming listener failed" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR
    )


def test_extractive_answers_come_whole(seed_engine: AnswerEngine) -> None:
    seen: list[str] = []
    answer = seed_engine.ask(QUESTION, on_text=seen.append)
    assert answer.citations and seen == []


def test_chat_client_stream_returns_what_the_plain_call_returns(llm: FakeLLM, tmp_path: Path) -> None:
    client = ChatClient(shared.llm_settings(tmp_path, llm.base_url))
    prompt = "Conversation:\nUser: Who leads Finland?\nAssistant: Sanna Marin leads it.\n\nLast question: What did she say?"
    pieces: list[str] = []
    assert (
        client.reply(prompt, on_content=pieces.append) == client.reply(prompt) == "What did Sanna Marin say?"
    )
    assert grows(pieces) and pieces[-1] == "What did Sanna Marin say?" and len(pieces) > 2


def test_compound_question_streams_part_after_part(engine: AnswerEngine, llm: FakeLLM) -> None:
    question = "Who is Finland's prime minister, and who is the president of Finland?"
    seen: list[str] = []
    answer = engine.ask(question, on_text=seen.append)

    assert len(llm.of_kind("answer")) == 2 and answer.mode == "generative"
    assert grows(seen), "the second part is shown after what the first part said"
    assert seen[-1] == readable(answer.text)
