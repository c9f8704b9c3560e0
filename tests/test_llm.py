"""The chat client against the loopback OpenAI-compatible server: credentials in the URL work, unlogged."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import FakeLLM, serve, stop

from retrieval import Settings
from retrieval.llm import ChatClient, split_credentials

USER_SECRET = "pw-in-userinfo-7f3a"
QUERY_SECRET = "key-in-query-91c2"
CONDENSE = "Conversation:\nUser: Who leads Finland?\nAssistant: Sanna Marin leads it.\n\nLast question: What did she say?"


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    """A loopback model for this test alone."""
    fake = FakeLLM()
    server, thread = serve(fake)
    yield fake
    stop(fake, server, thread)


def test_credentials_in_the_base_url_reach_the_endpoint_but_no_log_line(
    llm: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://alice:{USER_SECRET}@127.0.0.1:{llm.port}/v1?api_key={QUERY_SECRET}&region=eu"
    client = ChatClient(Settings(data_dir=tmp_path, llm_base_url=url, llm_model="test"))

    assert client.reply(CONDENSE) == "What did Sanna Marin say?"

    request = llm.requests[-1]
    assert request.path == f"/v1/chat/completions?api_key={QUERY_SECRET}&region=eu"
    assert request.authorization == "Basic " + base64.b64encode(f"alice:{USER_SECRET}".encode()).decode()
    assert any(r.name.startswith(("openai", "httpx")) for r in caplog.records), "DEBUG saw the client at work"
    for secret in (USER_SECRET, QUERY_SECRET):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)


def test_split_credentials_keeps_everything_else() -> None:
    split = split_credentials("https://u:p@llm.example.org:8443/v1/?token=t&model=x")
    assert split.url == "https://llm.example.org:8443/v1/"
    assert (split.username, split.password, split.query) == ("u", "p", (("token", "t"), ("model", "x")))
    plain = split_credentials("http://localhost:11434/v1")
    assert plain.url == "http://localhost:11434/v1" and not plain.has_credentials
