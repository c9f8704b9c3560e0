"""Chunk vectors at ingest: headline + chunk by default; or each distinct sentence once, chunks their mean."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from retrieval.chunk_vectors import chunk_embeddings, chunk_pieces, model_texts
from retrieval.chunking import chunk_article
from retrieval.corpus import text_article
from retrieval.ingest import embedding_text
from retrieval.types import Article

TEXT = (
    "Finland's president said on Sunday that the country will apply to join NATO. "
    "The prime minister agreed with him. Russia called the move a mistake. "
    "Sweden is expected to follow within days. Turkey raised objections. "
    "Polls show record support for membership among Finns."
)


class CountingEmbedding(BaseEmbedding):
    """A deterministic embedding whose vector depends on the text; it records every text it embeds."""

    _seen: list[str] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        """Name llama-index records for this embedding class."""
        return "CountingEmbedding"

    def _vector(self, text: str) -> list[float]:
        self._seen.append(text)
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        return list(np.random.default_rng(seed).standard_normal(8) * 3)  # deliberately not unit length

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    @property
    def seen(self) -> list[str]:
        """Every text embedded so far, in order."""
        return self._seen


def _article(title: str) -> Article:
    return text_article(TEXT, title=title, file_name="nato.txt")


def test_pieces_are_the_headline_then_the_sentences() -> None:
    article = _article("Finland to apply for NATO membership")
    chunk = chunk_article(article, max_chars=120, overlap_sentences=1)[0]
    pieces = chunk_pieces(article.meta, chunk)
    assert pieces[0] == "Finland to apply for NATO membership"
    assert "".join(pieces[1:]).replace(" ", "") == chunk.text.replace(" ", "")


def test_a_first_sentence_standing_in_for_a_title_is_not_repeated() -> None:
    article = _article("Finland's president said on Sunday that the country will apply to join NATO.")
    chunk = chunk_article(article, max_chars=120)[0]
    assert chunk_pieces(article.meta, chunk)[0].startswith("Finland's president")
    assert len(chunk_pieces(article.meta, chunk)) == len(set(chunk_pieces(article.meta, chunk)))


def test_each_distinct_piece_is_embedded_once_and_chunks_are_unit_means() -> None:
    article = _article("Finland to apply for NATO membership")
    chunks = chunk_article(article, max_chars=120, overlap_sentences=1)
    assert len(chunks) >= 3  # overlapping chunks share sentences, and all share the headline
    model: Any = CountingEmbedding()
    metas = {article.meta.article_id: article.meta}
    vectors = np.asarray(chunk_embeddings(model, chunks, metas, "sentences"))
    assert len(model.seen) == len(set(model.seen))
    assert set(model.seen) == {p for c in chunks for p in chunk_pieces(article.meta, c)}
    assert model.seen == model_texts(chunks, metas, "sentences")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    units = [np.asarray(model._vector(p)) for p in chunk_pieces(article.meta, chunks[1])]
    mean = np.mean([u / np.linalg.norm(u) for u in units], axis=0)
    assert np.allclose(vectors[1], mean / np.linalg.norm(mean), atol=1e-6)


def test_by_default_the_model_reads_each_chunk_whole_after_its_headline() -> None:
    article = _article("Finland to apply for NATO membership")
    chunks = chunk_article(article, max_chars=120, overlap_sentences=1)
    model: Any = CountingEmbedding()
    vectors = chunk_embeddings(model, chunks, {article.meta.article_id: article.meta})
    seen = list(model.seen)
    assert seen == [embedding_text(article.meta, c.text) for c in chunks]
    assert seen[0].startswith("Finland to apply for NATO membership\n")
    assert vectors == [model._vector(t) for t in seen]  # the model's own vectors, unchanged


def test_the_sentence_recipe_reads_about_half_the_tokens_of_the_chunk_recipe() -> None:
    article = _article("Finland to apply for NATO membership")
    chunks = chunk_article(article, max_chars=120, overlap_sentences=1)
    metas = {article.meta.article_id: article.meta}
    whole = sum(len(t) for t in model_texts(chunks, metas))
    sentences = sum(len(t) for t in model_texts(chunks, metas, "sentences"))
    assert sentences < 0.7 * whole


def test_no_chunks_no_model_call() -> None:
    model: Any = CountingEmbedding()
    assert chunk_embeddings(model, [], {}) == []
    assert chunk_embeddings(model, [], {}, "sentences") == []
    assert model.seen == []
