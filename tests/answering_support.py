"""Hand-built inputs for the answering stages' unit tests."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

from retrieval import AnswerEngine, Index, Settings, open_index
from retrieval.answering.query import Query, constraints_of
from retrieval.qtypes import AnswerType


def make_query(text: str, kind: AnswerType = AnswerType.OTHER, **weights: float) -> Query:
    """A Query built by hand: the given topic weights, no vector."""
    return Query(
        text=text,
        resolved=text,
        search_text=text,
        kind=kind,
        constraints=constraints_of(text),
        weights=dict(weights),
        aliases={},
        vector=np.zeros(3, dtype=np.float32),
    )


def json_records(reports: Mapping[str, tuple[str, str, str, str]]) -> dict[str, str]:
    """``file name -> (published, source, title, text)`` as the ``.json`` records the loader reads."""
    return {
        name: json.dumps({"title": title, "text": text, "published": published, "source": source})
        for name, (published, source, title, text) in reports.items()
    }


@contextmanager
def engine_on_files(
    tmp_path_factory: pytest.TempPathFactory, embed_model: Any, name: str, files: Mapping[str, str]
) -> Iterator[AnswerEngine]:
    """An engine over ``files`` (file name -> content), indexed with the real model in a fresh Chroma store."""
    folder = tmp_path_factory.mktemp(name)
    for file_name, content in files.items():
        (folder / file_name).write_text(content, encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp(f"{name}-index"), collection=name)
    index: Index = open_index(settings, embed_model=embed_model)
    try:
        index.add([folder])
        yield AnswerEngine(index)
    finally:
        index.close()
