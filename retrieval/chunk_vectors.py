"""Chunk vectors at ingest, where nearly all of ingest's time goes (the model).

Three recipes, chosen by ``Settings.chunk_vectors``:

- ``late`` (default, "late chunking"): the model reads each article once, in windows of whole consecutive
  sentences of at most 256 tokens (its window); a chunk's vector is the normalised mean of the last layer's
  token states (what mean pooling averages) of the chunk's own tokens, as the model read them in their window.
  A chunk across two windows averages over both. About the article's own tokens (0.61x ``chunk``'s on the
  generated articles); needs the ONNX model's ``token_embeddings`` output, so the torch backend defaults
  to ``chunk``. Windows may start with the headline (``LATE_HEADLINE``): measured, it was worse on every
  suite and costs a headline per window, so they do not.
- ``chunk``: the model reads each chunk with its article's headline in front. Neighbouring chunks share a
  sentence and every chunk repeats the headline, so this reads about 1.7x the article's tokens.
- ``sentences``: each distinct sentence (and the headline) is embedded once, and a chunk's vector is the
  normalised mean of its pieces' unit vectors: about the article's own tokens, half the model work.

The eval suites decide the default: ``late`` keeps every suite's answers (answerable right, unanswerable
declined, CRAG) and gains a multihop question, with a better hit@1 and MRR on four suites of five
(docs/BENCHMARKS.md, "Late chunking"). Sentence vectors for answering are computed at query time, for
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
MAX_HEADLINE_TOKENS = 64  # a longer "headline" is not prefixed to late windows (it would crowd them out)
LATE_HEADLINE = False  # windows without the headline: better on every suite (docs/BENCHMARKS.md)


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
    """One model input of the late recipe: ``prefix`` + ``text[start:end]`` of article ``article_id``."""

    article_id: str
    prefix: str
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


def _late_windows(
    chunks: Sequence[Chunk], metas: dict[str, ArticleMeta], texts: dict[str, str], headline: bool
) -> list[_Window]:
    """Windows of whole consecutive sentences (a sentence too long for one is cut between tokens)."""
    from retrieval.ingest import context_title

    tokenizer = _tokenizer()
    windows: list[_Window] = []
    for article_id in dict.fromkeys(c.article_id for c in chunks):
        text = texts[article_id]
        title = context_title(metas[article_id].title) if headline else ""
        title_tokens = len(tokenizer.encode(title, add_special_tokens=False).ids) if title else 0
        prefix = f"{title}\n" if title and title_tokens <= MAX_HEADLINE_TOKENS else ""
        budget = WINDOW_TOKENS - 2 - (title_tokens if prefix else 0)
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
                windows.append(_Window(article_id, prefix, current[0][0], current[-1][1]))
                current = []
            current.append(unit)
        if current:
            windows.append(_Window(article_id, prefix, current[0][0], current[-1][1]))
    return windows


def _window_texts(windows: Sequence[_Window], texts: dict[str, str]) -> list[str]:
    return [w.prefix + texts[w.article_id][w.start : w.end] for w in windows]


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
        return _window_texts(_late_windows(chunks, metas, texts, LATE_HEADLINE), texts)
    if recipe == "sentences":
        return list(dict.fromkeys(p for c in chunks for p in chunk_pieces(metas[c.article_id], c)))
    return [embedding_text(metas[c.article_id], c.text) for c in chunks]


def late_embeddings(
    model: BaseEmbedding,
    chunks: Sequence[Chunk],
    metas: dict[str, ArticleMeta],
    texts: dict[str, str] | None = None,
    headline: bool | None = None,
) -> np.ndarray:
    """Unit vectors of ``chunks`` by late chunking (module docstring): each article read once, in windows."""
    token_embeddings = getattr(model, "token_embeddings", None)
    if token_embeddings is None:
        raise ConfigError(
            "NEWSBOT_CHUNK_VECTORS=late needs the model's token states, which only the ONNX backend gives: "
            "use NEWSBOT_EMBED_BACKEND=onnx, or another NEWSBOT_CHUNK_VECTORS (chunk, sentences)"
        )
    texts = texts if texts is not None else article_texts(chunks)
    windows = _late_windows(chunks, metas, texts, LATE_HEADLINE if headline is None else headline)
    states = token_embeddings(_window_texts(windows, texts))
    # Per article: every body token's state, its start in the article, and which window it came from.
    body: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    heads: list[np.ndarray] = []  # per window: the sum of its headline tokens' states and their count
    head_counts: list[int] = []
    for number, (window, (vectors, offsets)) in enumerate(zip(windows, states, strict=True)):
        cut = len(window.prefix)
        in_body = offsets[:, 0] >= cut if len(offsets) else np.zeros(0, dtype=bool)
        starts = offsets[in_body, 0] - cut + window.start
        body.setdefault(window.article_id, []).append(
            (vectors[in_body], starts, np.full(len(starts), number, dtype=np.int64))
        )
        heads.append(vectors[~in_body].sum(axis=0) if (~in_body).any() else np.zeros(0, dtype=np.float32))
        head_counts.append(int((~in_body).sum()))
    joined = {
        a: (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )
        for a, parts in body.items()
    }
    out: list[np.ndarray | None] = []
    for chunk in chunks:
        if chunk.article_id not in joined:  # an article with no sentence at all: nothing was read
            out.append(None)
            continue
        vectors, starts, numbers = joined[chunk.article_id]
        inside = (starts >= chunk.start_char) & (starts < chunk.end_char)
        if not inside.any():
            out.append(None)
            continue
        total = vectors[inside].sum(axis=0)
        count = int(inside.sum())
        for number in np.unique(numbers[inside]):
            if head_counts[number]:
                total = total + heads[number]
                count += head_counts[number]
        out.append(total / count)
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
