"""Chunk vectors at ingest, where nearly all of ingest's time goes (the model).

Two recipes, chosen by ``Settings.chunk_vectors``:

- ``chunk`` (default): the model reads each chunk with its article's headline in front. Neighbouring chunks
  share a sentence and every chunk repeats the headline, so this reads about 1.7x the article's tokens.
- ``sentences``: each distinct sentence (and the headline) is embedded once, and a chunk's vector is the
  normalised mean of its pieces' unit vectors: about the article's own tokens, half the model work.

The eval suites decide the default: ``chunk`` keeps every figure of the torch model; ``sentences`` lost
2 of 154 seed questions and gained on the RGB set (docs/BENCHMARKS.md, "Least work at ingest").
Sentence vectors for answering are computed at query time, for retrieved chunks only, and cached
(``retrieval/passages.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from retrieval.sentences import sentence_spans
from retrieval.types import ArticleMeta, Chunk

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


def chunk_pieces(meta: ArticleMeta, chunk: Chunk) -> list[str]:
    """The texts whose vectors make up a chunk's ``sentences`` vector: its headline (if any), its sentences."""
    from retrieval.ingest import context_title  # ingest imports this module

    title = context_title(meta.title)
    pieces = [title] if title else []
    pieces.extend(chunk.text[start:end] for start, end in sentence_spans(chunk.text))
    return pieces or [chunk.text]


def model_texts(chunks: Sequence[Chunk], metas: dict[str, ArticleMeta], recipe: str = "chunk") -> list[str]:
    """The distinct texts the model reads for ``chunks`` under ``recipe`` (what ingest pays for)."""
    from retrieval.ingest import embedding_text

    if recipe == "sentences":
        return list(dict.fromkeys(p for c in chunks for p in chunk_pieces(metas[c.article_id], c)))
    return [embedding_text(metas[c.article_id], c.text) for c in chunks]


def chunk_embeddings(
    model: BaseEmbedding, chunks: Sequence[Chunk], metas: dict[str, ArticleMeta], recipe: str = "chunk"
) -> list[list[float]]:
    """Unit vectors of ``chunks`` made by ``recipe`` (``chunk`` or ``sentences``), one model call."""
    if not chunks:
        return []
    if recipe != "sentences":
        return model.get_text_embedding_batch(model_texts(chunks, metas, recipe))
    rows: dict[str, int] = {}
    members = []
    for chunk in chunks:
        members.append([rows.setdefault(p, len(rows)) for p in chunk_pieces(metas[chunk.article_id], chunk)])
    vectors = np.asarray(model.get_text_embedding_batch(list(rows)), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    out = np.stack([vectors[m].mean(axis=0) for m in members])
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.tolist()
