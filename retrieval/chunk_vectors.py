"""Chunk vectors at ingest, where nearly all of ingest's time goes (the model).

Three recipes, chosen by ``Settings.chunk_vectors``:

- ``chunk`` (default): the model reads each chunk with its article's headline in front. Neighbouring chunks
  share a sentence and every chunk repeats the headline, so this reads about 1.7x the article's tokens.
- ``late`` ("late chunking"): the model reads each article once, in windows of whole consecutive sentences of
  at most 256 tokens (its window); a chunk's vector is the normalised mean of the last layer's token states
  (what mean pooling averages) of the chunk's own tokens, as the model read them in their window. A chunk
  across two windows averages over both. About the article's own tokens (0.61x ``chunk``'s on the generated
  articles); needs the ONNX model's ``token_embeddings`` output. (Windows with the headline in front were
  measured too: worse on every suite, and a headline per window.)
- ``sentences``: each distinct sentence (and the headline) is embedded once, and a chunk's vector is the
  normalised mean of its pieces' unit vectors: about the article's own tokens, half the model work.

The eval suites decide the default: ``chunk`` gives the torch model's vectors; on the final engine ``late``
answers one multihop question fewer, with a better hit@1 on four suites of five (docs/BENCHMARKS.md, "Late
chunking"). Sentence vectors for answering are computed at query time, for
retrieved chunks only, and cached (``retrieval/passages.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.errors import ConfigError
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


WINDOW_TOKENS = 256  # the model's max_seq_length, [CLS] and [SEP] included


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    """The bundled model's tokenizer, untruncated and without special tokens (to measure and cut windows)."""
    from pathlib import Path

    from tokenizers import Tokenizer

    from retrieval.embeddings import bundled_model_path

    tokenizer = Tokenizer.from_file(str(Path(bundled_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@dataclass(frozen=True)
class _Window:
    """One model input of the late recipe: ``text[start:end]`` of article ``article_id``."""

    article_id: str
    start: int
    end: int


def article_texts(chunks: Sequence[Chunk]) -> dict[str, str]:
    """Each article's text as far as its chunks give it (gaps between chunks, whitespace, become spaces)."""
    buffers: dict[str, list[str]] = {}
    for chunk in chunks:
        buffer = buffers.setdefault(chunk.article_id, [])
        if len(buffer) < chunk.end_char:
            buffer.extend(" " * (chunk.end_char - len(buffer)))
        buffer[chunk.start_char : chunk.end_char] = chunk.text
    return {article_id: "".join(buffer) for article_id, buffer in buffers.items()}


def _late_windows(chunks: Sequence[Chunk], texts: dict[str, str]) -> list[_Window]:
    """Windows of whole consecutive sentences (a sentence too long for one is cut between tokens)."""
    tokenizer = _tokenizer()
    budget = WINDOW_TOKENS - 2  # [CLS] and [SEP]
    windows: list[_Window] = []
    for article_id in dict.fromkeys(c.article_id for c in chunks):
        text = texts[article_id]
        spans = list(sentence_spans(text))
        units: list[tuple[int, int, int]] = []  # start, end, tokens
        for (start, end), encoding in zip(
            spans,
            tokenizer.encode_batch([text[a:b] for a, b in spans], add_special_tokens=False),
            strict=True,
        ):
            offsets = encoding.offsets
            for first in range(0, max(len(offsets), 1), budget):
                piece = offsets[first : first + budget]
                if not piece:
                    units.append((start, end, 0))
                    continue
                piece_start = start if first == 0 else start + piece[0][0]
                piece_end = end if first + budget >= len(offsets) else start + piece[-1][1]
                units.append((piece_start, piece_end, len(piece)))
        current: list[tuple[int, int, int]] = []
        for unit in units:
            if current and sum(u[2] for u in current) + unit[2] > budget:
                windows.append(_Window(article_id, current[0][0], current[-1][1]))
                current = []
            current.append(unit)
        if current:
            windows.append(_Window(article_id, current[0][0], current[-1][1]))
    return windows


def _window_texts(windows: Sequence[_Window], texts: dict[str, str]) -> list[str]:
    return [texts[w.article_id][w.start : w.end] for w in windows]


def model_texts(
    chunks: Sequence[Chunk],
    metas: dict[str, ArticleMeta],
    recipe: str = "chunk",
    texts: dict[str, str] | None = None,
) -> list[str]:
    """The distinct texts the model reads for ``chunks`` under ``recipe`` (what ingest pays for).

    ``texts`` (article id -> text) serves the ``late`` recipe; without it, the chunks give the text.
    """
    from retrieval.ingest import embedding_text

    if recipe == "late":
        texts = texts if texts is not None else article_texts(chunks)
        return _window_texts(_late_windows(chunks, texts), texts)
    if recipe == "sentences":
        return list(dict.fromkeys(p for c in chunks for p in chunk_pieces(metas[c.article_id], c)))
    return [embedding_text(metas[c.article_id], c.text) for c in chunks]


def require_token_states(model: BaseEmbedding) -> None:
    """``late`` averages the model's token states; only the ONNX model gives them (else a ConfigError)."""
    if not hasattr(model, "token_embeddings"):
        raise ConfigError(
            f"NEWSBOT_CHUNK_VECTORS=late needs the model's token states, which only the ONNX backend "
            f"gives ({type(model).__name__} has none): use NEWSBOT_EMBED_BACKEND=onnx, or "
            "NEWSBOT_CHUNK_VECTORS=chunk or sentences"
        )


def late_embeddings(
    model: BaseEmbedding,
    chunks: Sequence[Chunk],
    metas: dict[str, ArticleMeta],
    texts: dict[str, str] | None = None,
) -> np.ndarray:
    """Unit vectors of ``chunks`` by late chunking (module docstring): each article read once, in windows."""
    require_token_states(model)
    texts = texts if texts is not None else article_texts(chunks)
    windows = _late_windows(chunks, texts)
    states = model.token_embeddings(_window_texts(windows, texts))  # type: ignore[attr-defined]
    # Per article: every token's state and where it starts in the article.
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for window, (vectors, offsets) in zip(windows, states, strict=True):
        starts = offsets[:, 0] + window.start if len(offsets) else np.zeros(0, dtype=np.int64)
        parts.setdefault(window.article_id, []).append((vectors, starts))
    joined = {
        a: (np.concatenate([v for v, _ in pieces]), np.concatenate([s for _, s in pieces]))
        for a, pieces in parts.items()
    }
    out: list[np.ndarray | None] = []
    for chunk in chunks:
        if chunk.article_id not in joined:  # an article with no sentence at all: nothing was read
            out.append(None)
            continue
        vectors, starts = joined[chunk.article_id]
        inside = (starts >= chunk.start_char) & (starts < chunk.end_char)
        out.append(vectors[inside].mean(axis=0) if inside.any() else None)
    missing = [i for i, v in enumerate(out) if v is None]
    if missing:  # a chunk none of whose tokens the model saw (not expected: every sentence is in a window)
        from retrieval.ingest import embedding_text

        direct = model.get_text_embedding_batch(
            [embedding_text(metas[chunks[i].article_id], chunks[i].text) for i in missing]
        )
        for i, vector in zip(missing, direct, strict=True):
            out[i] = np.asarray(vector, dtype=np.float32)
    matrix = np.stack([v for v in out if v is not None]).astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix


def chunk_embeddings(
    model: BaseEmbedding,
    chunks: Sequence[Chunk],
    metas: dict[str, ArticleMeta],
    recipe: str = "chunk",
    texts: dict[str, str] | None = None,
) -> list[list[float]]:
    """Unit vectors of ``chunks`` made by ``recipe`` (``chunk``, ``sentences`` or ``late``).

    ``texts`` (article id -> the article's text) serves ``late``; without it the chunks give the text.
    """
    if not chunks:
        return []
    if recipe == "late":
        return late_embeddings(model, chunks, metas, texts).tolist()
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
