"""The index on a real ``chroma run`` server: ingest, search, restart the server, find the data again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_support import ChromaServer, chunks_per_article

from retrieval import IndexUnavailableError, Settings, open_index

pytestmark = pytest.mark.server

QUESTION = "Which Belarusian strongman asked post-Soviet allies for solidarity?"


def test_index_on_a_chroma_server_survives_a_restart(
    chroma_server: ChromaServer,
    seeds_dir: Path,
    make_settings: Callable[..., Settings],
    embed_model: Any,
) -> None:
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    assert settings.store_location == f"chroma server {chroma_server.url}"
    index = open_index(settings, embed_model=embed_model)
    report = index.add([seeds_dir])
    assert len(report.added) == 3
    before = index.stats()
    assert before.articles == 3 and before.chunks > 3
    assert before.location == settings.store_location
    assert sum(chunks_per_article(settings).values()) == before.chunks
    first = index.search(QUESTION, k=3)
    assert first[0].article.file_name.startswith("001_")
    assert not (settings.data_dir / "chroma").exists(), "server mode must not write an embedded store"

    chroma_server.stop()
    with pytest.raises(IndexUnavailableError):
        index.search(QUESTION)  # a clear library error, not a connection traceback
    with pytest.raises(IndexUnavailableError):
        open_index(settings, embed_model=embed_model).stats()

    chroma_server.start()
    reopened = open_index(settings, embed_model=embed_model)
    after = reopened.stats()
    assert (after.articles, after.chunks) == (before.articles, before.chunks)
    assert {m.file_name for m in after.sources} == {m.file_name for m in before.sources}
    again = reopened.search(QUESTION, k=3)
    assert [h.chunk_id for h in again] == [h.chunk_id for h in first]
    assert reopened.add([seeds_dir]).chunks_written == 0, "re-ingest after the restart finds everything"
    # An index opened before the restart (a running bot) carries on without being reopened.
    assert [h.chunk_id for h in index.search(QUESTION, k=3)] == [h.chunk_id for h in first]
