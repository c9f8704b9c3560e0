"""Shared fixtures: the real bundled model, real Chroma, the seed articles."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from store_support import ChromaServer, free_port

from retrieval import Index, Settings, open_index

ROOT = Path(__file__).resolve().parent.parent
_counter = itertools.count()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The default corpus shipped in the repo."""
    return ROOT / "seeds"


@pytest.fixture(scope="session")
def embed_model() -> Any:
    """The bundled all-MiniLM-L6-v2, loaded once for the whole run."""
    from retrieval.embeddings import shared_model

    return shared_model()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """A factory of settings with a fresh data dir and a unique collection name."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "collection": f"test_{os.getpid()}_{next(_counter)}",
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def seed_index(
    tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, embed_model: Any
) -> Iterator[Index]:
    """An index of the seed articles, shared by read-only tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("seed-index"), collection="seeds_session")
    index = open_index(settings, embed_model=embed_model)
    index.add([seeds_dir])
    yield index
    index.close()


@pytest.fixture(scope="session")
def seed_engine(seed_index: Index) -> Any:
    """The extractive answering engine over the seed index."""
    from retrieval import AnswerEngine

    return AnswerEngine(seed_index)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A Chroma server on a free loopback port, always stopped at the end."""
    server = ChromaServer(tmp_path / "chroma-server", free_port(), tmp_path / "chroma-server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
