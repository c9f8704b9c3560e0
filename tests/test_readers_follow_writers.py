"""A process that keeps the index open (the bot, ``chat``, a library user) sees another process's ingest.

The writer is always a real ``newsbot ingest`` process; the reader never reopens anything itself.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_support import NEWSBOT, ChromaServer, copy_seeds, newsbot, newsbot_env

from retrieval import Settings, open_index

FERRY_BEFORE = "Island ferry timetable\nThe island ferry leaves the mainland pier at seven in the morning.\n"
FERRY_AFTER = (
    "Island ferry timetable\nThe island ferry now leaves the mainland pier at nine in the morning.\n"
)
FESTIVAL = (
    "Harbour festival cancelled\n"
    "The annual harbour festival in Valmara was cancelled because too few volunteers signed up.\n"
)
VOLCANO = (
    "Volcano erupts near ski resort\n"
    "Ash from the Mount Tarrin volcano closed the ski resort on Friday.\n"
    "Geologists said lava flows were moving away from the village.\n"
)
# Shares no word stem with the volcano article: only a search by meaning can find it.
PARAPHRASE = "Which peak spewed molten rock and cinders?"


def _corpus(seeds_dir: Path, folder: Path) -> Path:
    corpus = copy_seeds(seeds_dir, folder)
    (corpus / "ferry.txt").write_text(FERRY_BEFORE, encoding="utf-8")
    (corpus / "festival.txt").write_text(FESTIVAL, encoding="utf-8")
    return corpus


def _change(corpus: Path) -> None:
    """What the second process ingests: one article added, one updated, one removed."""
    (corpus / "volcano.txt").write_text(VOLCANO, encoding="utf-8")
    (corpus / "ferry.txt").write_text(FERRY_AFTER, encoding="utf-8")
    (corpus / "festival.txt").unlink()


def _ingest(settings: Settings, corpus: Path, *args: str) -> str:
    result = newsbot(settings, "ingest", str(corpus), *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["embedded", pytest.param("server", marks=pytest.mark.server)])
def test_an_open_index_follows_adds_updates_and_prunes_by_another_process(
    mode: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    seeds_dir: Path,
    make_settings: Callable[..., Settings],
    embed_model: Any,
) -> None:
    if mode == "server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        settings = make_settings(chroma_host="127.0.0.1", chroma_port=server.port)
    else:
        settings = make_settings()
    corpus = _corpus(seeds_dir, tmp_path / "corpus")
    assert "added 5" in _ingest(settings, corpus)

    reader = open_index(settings, embed_model=embed_model)
    assert reader.search("harbour festival volunteers", k=1)[0].article.file_name == "festival.txt"
    assert "seven" in reader.search("ferry pier morning", k=1)[0].text

    _change(corpus)
    report = _ingest(settings, corpus, "--prune")
    assert "added 1, updated 1" in report and "removed 1" in report

    found = [h for h in reader.search(PARAPHRASE, k=3) if h.article.file_name == "volcano.txt"]
    assert found and found[0].dense_rank == 1 and found[0].lexical_rank is None, "found by meaning alone"
    ferry = [h for h in reader.search("ferry pier morning", k=10) if h.article.file_name == "ferry.txt"]
    assert ferry and all("nine" in h.text and "seven" not in h.text for h in ferry)
    for query in ("harbour festival volunteers", "Valmara festival cancelled"):
        assert "festival.txt" not in {h.article.file_name for h in reader.search(query, k=10)}
    stats = reader.stats()
    assert stats.articles == 5
    assert {m.file_name for m in stats.sources} >= {"volcano.txt", "ferry.txt"}
    assert "Tarrin" in reader.article_text(found[0].article.article_id)


class ChatSession:
    """``newsbot chat`` in a subprocess, driven line by line as a person would."""

    PROMPT = "you ›"

    def __init__(self, settings: Settings, log: Path) -> None:
        self._stderr = log.open("wb")
        self.process = subprocess.Popen(
            [str(NEWSBOT), "chat"],
            env=newsbot_env(settings, COLUMNS="220"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self._selector.register(self.process.stdout, selectors.EVENT_READ)
        self.greeting = self._until_prompt()

    def _until_prompt(self, limit_s: float = 300.0) -> str:
        """Output up to the next prompt (bounded, so that a hung chat fails instead of blocking)."""
        assert self.process.stdout is not None
        data = b""
        deadline = time.monotonic() + limit_s
        while self.PROMPT.encode() not in data:
            left = deadline - time.monotonic()
            assert left > 0 and self._selector.select(left), f"no prompt from chat: {data.decode()!r}"
            chunk = os.read(self.process.stdout.fileno(), 65536)
            assert chunk, f"chat ended: {data.decode()!r}"
            data += chunk
        return data.decode()

    def ask(self, question: str) -> str:
        """What chat prints in answer to ``question``."""
        assert self.process.stdin is not None
        self.process.stdin.write(question.encode() + b"\n")
        self.process.stdin.flush()
        return self._until_prompt()

    def close(self) -> int:
        """End the chat (end of input) and return its exit status."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=120)
        self._stderr.close()
        return code


@pytest.mark.slow
def test_chat_keeps_answering_across_an_ingest_by_another_process(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    corpus = _corpus(seeds_dir, tmp_path / "corpus")
    _ingest(settings, corpus)
    chat = ChatSession(settings, tmp_path / "chat.stderr")
    try:
        assert "5 articles indexed" in chat.greeting
        assert "Sanna Marin" in chat.ask("Who is Finland's prime minister?")
        assert "seven" in chat.ask("When does the island ferry leave the mainland pier?")

        _change(corpus)
        _ingest(settings, corpus, "--prune")

        assert "Sanna Marin" in chat.ask("Who is Finland's prime minister?")
        ferry = chat.ask("When does the island ferry leave the mainland pier?")
        assert "nine" in ferry and "seven" not in ferry
        assert "volcano.txt" in chat.ask(PARAPHRASE), "the new article is found by meaning"
        assert "festival.txt" not in chat.ask("Why was the harbour festival in Valmara cancelled?")
    finally:
        code = chat.close()
    errors = (tmp_path / "chat.stderr").read_text()
    assert code == 0, errors
    assert "search failed" not in errors and "Traceback" not in errors and "error" not in errors.lower()
