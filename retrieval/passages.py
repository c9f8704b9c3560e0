"""Sentence-level view of retrieved chunks, with article texts, spans and embeddings cached per process."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.index import Index
from retrieval.sentences import sentence_spans
from retrieval.types import ArticleMeta, Hit

_ARTICLES_CACHED = 256
_EMBEDDINGS_CACHED = 50_000


@dataclass(frozen=True)
class Sentence:
    """One sentence of an article, where it came from, and the fused rank of the chunk that found it."""

    article: ArticleMeta
    start_char: int
    end_char: int
    text: str
    hit_rank: int


class SentencePool:
    """Turns hits into candidate sentences and embeds them, caching what repeats across questions."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._spans: OrderedDict[str, tuple[str, list[tuple[int, int]]]] = OrderedDict()
        self._vectors: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()

    def article(self, article_id: str) -> tuple[str, list[tuple[int, int]]]:
        """An article's text and sentence spans (cached)."""
        with self._lock:
            if article_id in self._spans:
                self._spans.move_to_end(article_id)
                return self._spans[article_id]
        text = self.index.article_text(article_id)
        entry = (text, list(sentence_spans(text)))
        with self._lock:
            self._spans[article_id] = entry
            while len(self._spans) > _ARTICLES_CACHED:
                self._spans.popitem(last=False)
        return entry

    def sentences(self, hits: Sequence[Hit]) -> list[Sentence]:
        """Every sentence inside the hits, once each, in hit order."""
        seen: set[tuple[str, int]] = set()
        found = []
        for rank, hit in enumerate(hits, start=1):
            text, spans = self.article(hit.article.article_id)
            for start, end in spans:
                if start < hit.start_char or end > hit.end_char:
                    continue
                key = (hit.article.article_id, start)
                if key not in seen:
                    seen.add(key)
                    found.append(Sentence(hit.article, start, end, text[start:end], rank))
        return found

    def embed(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """Unit-length embeddings of ``sentences`` (rows), computing only those not cached."""
        keys = [(s.article.article_id, s.start_char, s.end_char) for s in sentences]
        with self._lock:
            todo = [i for i, key in enumerate(keys) if key not in self._vectors]
        if todo:
            vectors = self.index.embed_texts([sentences[i].text for i in todo])
            with self._lock:
                for i, vector in zip(todo, vectors, strict=True):
                    array = np.asarray(vector, dtype=np.float32)
                    self._vectors[keys[i]] = array / (np.linalg.norm(array) or 1.0)
                while len(self._vectors) > _EMBEDDINGS_CACHED:
                    self._vectors.popitem(last=False)
        with self._lock:
            return np.stack([self._vectors[key] for key in keys]) if keys else np.zeros((0, 384), np.float32)
