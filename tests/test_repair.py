"""A damaged vector index is found, named in one line with the command to run, and rebuilt from the manifest.

The damage is the real thing: a process writes through a view of the vectors loaded before another
process wrote (what two unserialised writers did), so its copy of the index overwrites the other's on disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_support import ChromaServer, free_port, newsbot

from retrieval import Settings, open_index

pytestmark = pytest.mark.slow

QUESTION = "Which Belarusian strongman asked post-Soviet allies for solidarity?"

# The chunk collection, made before newsbot does, writing its vectors to disk every 10 changes (not 1,000).
CREATE = """
import sys, chromadb
from chromadb.config import Settings
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
client.get_or_create_collection(
    sys.argv[2], metadata={"hnsw:space": "cosine", "hnsw:sync_threshold": 10, "hnsw:batch_size": 10},
    embedding_function=None,
)
"""

DAMAGE = """
import os, sys
from retrieval import Settings, open_index
from retrieval.store import ChunkStore
settings = Settings(data_dir=sys.argv[1], collection=sys.argv[2])
stale = ChunkStore(settings)
stale.probe()  # vectors loaded before the other writer's changes
other = ChunkStore(settings)
rows = other._chunks.get(include=["embeddings", "documents", "metadatas"], limit=20)
other._chunks.delete(ids=rows["ids"][:10])
other._chunks.upsert(ids=[i + "-moved" for i in rows["ids"][:10]], embeddings=rows["embeddings"][:10],
                     documents=rows["documents"][:10], metadatas=rows["metadatas"][:10])
stale._chunks.upsert(ids=rows["ids"][10:20], embeddings=rows["embeddings"][10:20],
                     documents=rows["documents"][10:20], metadatas=rows["metadatas"][10:20])
sys.stdout.flush()
os._exit(0)  # chromadb's own teardown can abort on the index it just damaged
"""


def _python(script: str, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_damaged_index_is_named_and_newsbot_repair_rebuilds_it(
    seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    _python(CREATE, str(settings.data_dir / "chroma"), settings.collection)
    assert newsbot(settings, "ingest", str(seeds_dir)).returncode == 0
    before = json.loads(newsbot(settings, "stats", "--json").stdout)
    healthy = newsbot(settings, "repair")
    assert healthy.returncode == 0 and "healthy" in healthy.stdout, healthy.stderr

    _python(DAMAGE, str(settings.data_dir), settings.collection)

    for command in (["search", QUESTION], ["ask", QUESTION], ["ingest", str(seeds_dir)]):
        line = _one_line_error(newsbot(settings, *command))
        assert "damaged" in line and "newsbot repair" in line, (command, line)

    repaired = newsbot(settings, "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "found: the vector index cannot be read" in repaired.stderr
    assert f"rebuilt {before['chunks']} chunks of {before['articles']} articles" in repaired.stdout

    after = json.loads(newsbot(settings, "stats", "--json").stdout)
    assert (after["articles"], after["chunks"]) == (before["articles"], before["chunks"])
    found = newsbot(settings, "search", QUESTION, "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["article"]["file_name"].startswith("001_") and hits[0]["dense_rank"] is not None
    again = newsbot(settings, "ingest", str(seeds_dir))
    assert again.returncode == 0 and "unchanged 3" in again.stdout, again.stderr
    assert "healthy" in newsbot(settings, "repair").stdout


@pytest.mark.server
def test_a_repair_by_another_process_is_followed_by_an_open_index_on_a_chroma_server(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings], embed_model: Any
) -> None:
    server = ChromaServer(tmp_path / "chroma-server", free_port(), tmp_path / "chroma-server.log")
    server.start()
    try:
        settings = make_settings(chroma_host="127.0.0.1", chroma_port=server.port)
        reader = open_index(settings, embed_model=embed_model)
        reader.add([seeds_dir])
        first = [h.chunk_id for h in reader.search(QUESTION, k=3)]
        rebuilt = newsbot(settings, "repair", "--force")  # a new chunk collection replaces the old one
        assert rebuilt.returncode == 0 and "rebuilt" in rebuilt.stdout, rebuilt.stderr
        assert [h.chunk_id for h in reader.search(QUESTION, k=3)] == first
        assert reader.stats().articles == 3
    finally:
        server.stop()
