"""Two ``newsbot ingest`` processes on one folder at once: the index ends up as one ingest leaves it.

Without the writer lock each process wrote its own in-memory vector index over the other's on disk, and
every later search failed ("Error finding id"). 200 articles give over 1,000 chunks, past the point where
Chroma first writes its vector index to disk.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from store_support import NEWSBOT, newsbot, newsbot_env, write_dispatches

from retrieval import Article, Settings
from retrieval.chunking import chunk_article
from retrieval.corpus import load_paths

pytestmark = pytest.mark.slow


def _counts(output: str) -> dict[str, int]:
    match = re.search(r"added (\d+), updated (\d+), unchanged (\d+), removed (\d+), skipped (\d+)", output)
    assert match, output
    return dict(
        zip(("added", "updated", "unchanged", "removed", "skipped"), map(int, match.groups()), strict=True)
    )


def _chunks_of(corpus: Path, settings: Settings) -> int:
    """How many chunks one ingest of ``corpus`` writes."""
    articles = [a for a in load_paths([corpus], max_bytes=settings.max_file_bytes) if isinstance(a, Article)]
    sizes = (settings.chunk_max_chars, settings.chunk_overlap_sentences)
    return sum(len(chunk_article(a, max_chars=sizes[0], overlap_sentences=sizes[1])) for a in articles)


def at_once(settings: Settings, processes: int, *args: str) -> list[str]:
    """Start ``processes`` ``newsbot`` commands together on one data dir; their outputs, all having succeeded."""
    started = [
        subprocess.Popen(
            [str(NEWSBOT), *args],
            env=newsbot_env(settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [process.communicate(timeout=1800) for process in started]
    assert [process.returncode for process in started] == [0] * processes, [err for _, err in outputs]
    return [out for out, _ in outputs]


def test_two_concurrent_ingests_of_200_files_leave_an_index_that_answers(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    corpus = write_dispatches(tmp_path / "corpus200", seeds_dir, files=200, sentences_per_file=18)
    settings = make_settings()
    outputs = at_once(settings, 2, "ingest", str(corpus))
    counts = sorted((_counts(out) for out in outputs), key=lambda c: c["added"])
    assert counts == [
        {"added": 0, "updated": 0, "unchanged": 200, "removed": 0, "skipped": 0},
        {"added": 200, "updated": 0, "unchanged": 0, "removed": 0, "skipped": 0},
    ]

    stats = newsbot(settings, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["articles"] == 200 and data["chunks"] > 1000

    assert data["chunks"] == _chunks_of(corpus, settings), "the same chunks as one ingest writes"

    found = newsbot(
        settings, "search", "Which Belarusian strongman asked post-Soviet allies for solidarity?", "--json"
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 5 and all(h["dense_rank"] is not None or h["lexical_rank"] is not None for h in hits)
    assert any(h["dense_rank"] is not None for h in hits), "the vectors answer, not only BM25"
    repaired = newsbot(settings, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "healthy" in repaired.stdout, "a full check of every vector and chunk finds nothing wrong"


def test_processes_opening_a_new_data_dir_at_once_all_open_it(
    make_settings: Callable[..., Settings],
) -> None:
    """A bot and a cron job started together on an empty data dir race to create the collections."""
    outputs = at_once(make_settings(), 6, "stats", "--json")
    assert all(json.loads(out)["articles"] == 0 for out in outputs)
