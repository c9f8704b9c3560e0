"""The saved BM25 index (a speed measure): reused by a new process, never stale after ingest or prune."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retrieval import Settings, open_index
from retrieval.lexical import LexicalIndex

NEW_ARTICLE = (
    "Zorblax wins the galactic chess final\n"
    "The Zorblax team from Qwertania won the galactic chess final on Sunday in four games.\n"
)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts LexicalIndex builds from store rows (loads from disk do not count)."""
    calls: list[int] = []
    original = LexicalIndex.__init__

    def counting(self: LexicalIndex, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(LexicalIndex, "__init__", counting)
    return calls


def test_a_fresh_index_loads_the_saved_bm25_and_ranks_the_same(
    make_settings: Callable[..., Settings], seeds_dir: Path, embed_model: Any, builds: list[int]
) -> None:
    settings = make_settings()
    first = open_index(settings, embed_model=embed_model)
    first.add([seeds_dir])
    hits = first.search("Who is the president of Finland?")
    assert len(builds) == 1
    assert len(list((settings.data_dir / "lexical").iterdir())) == 1

    second = open_index(settings, embed_model=embed_model)  # what a new process does
    again = second.search("Who is the president of Finland?")
    assert len(builds) == 1, "the saved index should have been loaded, not rebuilt"
    assert [(h.chunk_id, h.lexical_rank) for h in again] == [(h.chunk_id, h.lexical_rank) for h in hits]


def test_the_saved_bm25_follows_ingest_and_prune(
    make_settings: Callable[..., Settings],
    seeds_dir: Path,
    tmp_path: Path,
    embed_model: Any,
    builds: list[int],
) -> None:
    settings = make_settings()
    articles = tmp_path / "articles"
    shutil.copytree(seeds_dir, articles)
    index = open_index(settings, embed_model=embed_model)
    index.add([articles])
    assert not any(h.lexical_rank for h in index.search("Zorblax Qwertania chess") if "Zorblax" in h.text)

    (articles / "zorblax.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    index.add([articles])
    reader = open_index(settings, embed_model=embed_model)  # another process, after the ingest
    top = reader.search("Zorblax Qwertania chess")[0]
    assert "Zorblax" in top.text and top.lexical_rank == 1

    (articles / "zorblax.txt").unlink()
    index.add([articles], prune=True)
    assert all("Zorblax" not in h.text for h in reader.search("Zorblax Qwertania chess"))
    assert len(list((settings.data_dir / "lexical").iterdir())) == 1, "older saved indexes are removed"


def test_an_unreadable_saved_index_is_rebuilt(
    make_settings: Callable[..., Settings], seeds_dir: Path, embed_model: Any, builds: list[int]
) -> None:
    settings = make_settings()
    open_index(settings, embed_model=embed_model).add([seeds_dir])
    open_index(settings, embed_model=embed_model).search("NATO")
    (saved,) = (settings.data_dir / "lexical").iterdir()
    (saved / "columns.npz").write_bytes(b"not an npz file")
    hits = open_index(settings, embed_model=embed_model).search("NATO membership Finland")
    assert len(builds) == 2 and any(h.lexical_rank for h in hits)
