"""Chunk vectors at ingest: headline + chunk; each distinct sentence once, chunks their mean; or late chunking."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from retrieval.chunk_vectors import WINDOW_TOKENS, chunk_embeddings, chunk_pieces, model_texts
from retrieval.chunking import chunk_article
from retrieval.corpus import load_paths, text_article
from retrieval.ingest import embedding_text
from retrieval.sentences import sentence_spans
from retrieval.types import Article, Chunk

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


# --- late chunking (the real bundled model: it needs the ONNX model's token states) ---------------------
_NEWS = [
    "Finland's president said that the country will apply to join NATO.",
    "The prime minister agreed with him and asked parliament to approve the bid within days.",
    "Russia's foreign ministry called the move a grave mistake with far-reaching consequences.",
    "Sweden's governing party is expected to follow within the week, officials in Stockholm said.",
    "Turkey raised objections, accusing both countries of harbouring Kurdish militants.",
    "Polls show record support for membership among Finns, above seventy percent for the first time.",
]
# About 600 tokens of distinct sentences (each window's text occurs once in the article).
LONG_TEXT = " ".join(f"On day {day}, {_NEWS[day % 6][0].lower()}{_NEWS[day % 6][1:]}" for day in range(1, 25))


def _onnx(embed_model: Any) -> Any:
    from retrieval.onnx_embedding import OnnxEmbedding

    if not isinstance(embed_model, OnnxEmbedding):
        pytest.skip("the late recipe needs the ONNX model (NEWSBOT_EMBED_BACKEND=torch here)")
    return embed_model


def _seed_chunks(seeds_dir: Path) -> tuple[list[Article], list[Chunk]]:
    articles = [a for a in load_paths([seeds_dir], max_bytes=10_000_000) if isinstance(a, Article)]
    return articles, [c for a in articles for c in chunk_article(a)]


def test_late_windows_are_whole_sentences_within_the_model_window(seeds_dir: Path) -> None:
    from tokenizers import Tokenizer

    from retrieval.embeddings import bundled_model_path

    articles, chunks = _seed_chunks(seeds_dir)
    metas = {a.meta.article_id: a.meta for a in articles}
    texts = {a.meta.article_id: a.text for a in articles}
    windows = model_texts(chunks, metas, "late", texts)
    tokenizer = Tokenizer.from_file(str(Path(bundled_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    assert max(len(e.ids) for e in tokenizer.encode_batch(windows)) <= WINDOW_TOKENS
    for article in articles:  # windows of whole sentences, in order: each sentence read once
        spans = list(sentence_spans(article.text))
        starts, ends = {a for a, _ in spans}, {b for _, b in spans}
        position = 0
        for window in (w for w in windows if w in article.text):
            start = article.text.index(window, position)
            assert start in starts and start + len(window) in ends
            assert not article.text[position:start].strip()  # nothing between two windows is skipped
            position = start + len(window)
        assert position == spans[-1][1]


def test_late_vectors_find_the_seed_article_of_seed_questions(embed_model: Any, seeds_dir: Path) -> None:
    model = _onnx(embed_model)
    articles, chunks = _seed_chunks(seeds_dir)
    metas = {a.meta.article_id: a.meta for a in articles}
    texts = {a.meta.article_id: a.text for a in articles}
    vectors = np.asarray(chunk_embeddings(model, chunks, metas, "late", texts))
    assert vectors.shape == (len(chunks), 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    file_of = {a.meta.article_id: Path(a.path).name for a in articles}
    cases = {  # eval/questions.jsonl: who-01, who-09, what-05, what-08, when-03
        "Who is the president of Finland?": ("000_485f4280141f3bb0.txt", "Niniisto"),
        "Who is the president of Turkey?": ("001_e536a4f5badfe7a6.txt", "Erdogan"),
        "What did Sergei Ryabkov call NATO expansion?": ("001_e536a4f5badfe7a6.txt", "grave mistake"),
        "What kind of NATO partners are Finland and Sweden?": (
            "002_17356d985e5b8b87.txt",
            "Enhanced Opportunity Partner",
        ),
        "When was the Atlantic Council report by Wieslander and Skaluba published?": (
            "002_17356d985e5b8b87.txt",
            "March 3",
        ),
    }
    for question, (source, answer) in cases.items():
        scores = vectors @ np.asarray(model.get_query_embedding(question))
        top = np.argsort(-scores)[:3]
        assert file_of[chunks[top[0]].article_id] == source, question
        assert any(answer in chunks[i].text for i in top), question


def test_a_chunk_across_two_windows_averages_its_tokens_in_both(embed_model: Any) -> None:
    model = _onnx(embed_model)
    article = text_article(LONG_TEXT, title="Finland to apply for NATO membership", file_name="long.txt")
    chunks = chunk_article(article, max_chars=1200, overlap_sentences=1)
    metas = {article.meta.article_id: article.meta}
    texts = {article.meta.article_id: article.text}
    windows = model_texts(chunks, metas, "late", texts)
    assert len(windows) >= 2
    boundary = article.text.index(windows[1])  # where the second window starts in the article
    across = [c for c in chunks if c.start_char < boundary < c.end_char]
    assert across, "the test needs a chunk that starts in one window and ends in the next"
    chunk = across[0]
    vectors = np.asarray(chunk_embeddings(model, chunks, metas, "late", texts))
    vector = vectors[chunks.index(chunk)]
    # By hand: the chunk's own tokens, in each window they were read in.
    parts = []
    for window, (states, offsets) in zip(windows, model.token_embeddings(windows), strict=True):
        start = article.text.index(window)
        inside = (offsets[:, 0] + start >= chunk.start_char) & (offsets[:, 0] + start < chunk.end_char)
        parts.append(states[inside])
    assert sum(len(p) > 0 for p in parts) == 2
    mean = np.concatenate(parts).mean(axis=0)
    assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    direct = np.asarray(model.get_text_embedding(chunk.text))
    assert float(vector @ direct) > 0.8  # still a vector of what the chunk says


def test_late_needs_the_onnx_model(embed_model: Any) -> None:
    from retrieval.config import load_settings
    from retrieval.errors import ConfigError

    article = _article("Finland to apply for NATO membership")
    chunks = chunk_article(article, max_chars=120)
    with pytest.raises(ConfigError, match="ONNX"):
        chunk_embeddings(CountingEmbedding(), chunks, {article.meta.article_id: article.meta}, "late")
    with pytest.raises(ConfigError, match="NEWSBOT_CHUNK_VECTORS"):
        load_settings(embed_backend="torch", chunk_vectors="late")
    assert load_settings(embed_backend="onnx", chunk_vectors="late").chunk_vectors == "late"
    assert load_settings(embed_backend="torch").chunk_vectors == "chunk"


def test_ingest_uses_the_recipe_asked_for_and_late_only_with_token_states(embed_model: Any) -> None:
    from retrieval.config import Settings
    from retrieval.errors import ConfigError
    from retrieval.ingest import vector_recipe

    model = _onnx(embed_model)
    assert Settings().chunk_vectors == "chunk"  # the default: the torch model's vectors, the eval's figures
    assert vector_recipe(Settings(chunk_vectors="late"), model) == "late"
    assert vector_recipe(Settings(), CountingEmbedding()) == "chunk"  # e.g. a llama-index model passed in
    assert vector_recipe(Settings(chunk_vectors="sentences"), CountingEmbedding()) == "sentences"
    with pytest.raises(ConfigError, match="late"):
        vector_recipe(Settings(chunk_vectors="late"), CountingEmbedding())  # asked for: never silently
