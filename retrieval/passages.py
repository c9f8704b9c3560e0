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
    position: int  # index of the sentence in its article


class SentencePool:
    """Turns hits into candidate sentences and embeds them, caching what repeats across questions."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._spans: OrderedDict[str, tuple[str, list[tuple[int, int]]]] = OrderedDict()
        self._vectors: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()
        self._words: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def article(self, article_id: str) -> tuple[str, list[tuple[int, int]]]:
        """An article's text and sentence spans (cached)."""
        with self._lock:
            if article_id in self._spans:
                self._spans.move_to_end(article_id)
                return self._spans[article_id]
        return self._keep({article_id: self.index.article_text(article_id)})[article_id]

    def _prefetch(self, article_ids: Sequence[str]) -> None:
        """Read the articles not cached yet in one lookup (one store round trip instead of one each)."""
        with self._lock:
            missing = [a for a in dict.fromkeys(article_ids) if a not in self._spans]
        if len(missing) >= 2:
            self._keep(self.index.article_texts(missing))

    def _keep(self, texts: dict[str, str]) -> dict[str, tuple[str, list[tuple[int, int]]]]:
        """Cache the articles' texts with their sentence spans (the oldest go past the limit); the entries."""
        entries = {article_id: (text, list(sentence_spans(text))) for article_id, text in texts.items()}
        with self._lock:
            self._spans.update(entries)
            while len(self._spans) > _ARTICLES_CACHED:
                self._spans.popitem(last=False)
        return entries

    def sentences(self, hits: Sequence[Hit]) -> list[Sentence]:
        """Every sentence inside the hits, once each, in hit order."""
        self._prefetch([hit.article.article_id for hit in hits])
        seen: set[tuple[str, int]] = set()
        found = []
        for rank, hit in enumerate(hits, start=1):
            text, spans = self.article(hit.article.article_id)
            for position, (start, end) in enumerate(spans):
                # Sentences overlapping the chunk: chunk and sentence boundaries agree except where a
                # sentence was joined across a line break after the chunk was written.
                if end <= hit.start_char or start >= hit.end_char:
                    continue
                key = (hit.article.article_id, start)
                if key not in seen:
                    seen.add(key)
                    found.append(Sentence(hit.article, start, end, text[start:end], rank, position))
        return found

    def neighbour(self, sentence: Sentence, offset: int) -> Sentence | None:
        """The sentence ``offset`` places away in the same article, if any."""
        text, spans = self.article(sentence.article.article_id)
        position = sentence.position + offset
        if not 0 <= position < len(spans):
            return None
        start, end = spans[position]
        return Sentence(sentence.article, start, end, text[start:end], sentence.hit_rank, position)

    def window(self, sentence: Sentence) -> tuple[Sentence, ...]:
        """The sentence with its neighbours, in article order: where a name, a year or a reason usually sits."""
        around = (self.neighbour(sentence, -1), sentence, self.neighbour(sentence, 1))
        return tuple(s for s in around if s is not None)

    def joined(self, first: Sentence, last: Sentence) -> Sentence:
        """One quote running from ``first`` to ``last`` (same article, verbatim, whatever lies between)."""
        text, _ = self.article(first.article.article_id)
        return Sentence(
            first.article,
            first.start_char,
            last.end_char,
            text[first.start_char : last.end_char],
            first.hit_rank,
            first.position,
        )

    def embed_words(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        """Unit-length embeddings of single words (cached): how near in meaning two words are."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for word in words:
                if ("w", word) in self._words:
                    found[word] = self._words[("w", word)]
        todo = [w for w in dict.fromkeys(words) if w not in found]
        if todo:
            for word, vector in zip(todo, self.index.embed_texts(todo), strict=True):
                array = np.asarray(vector, dtype=np.float32)
                found[word] = array / (np.linalg.norm(array) or 1.0)
            with self._lock:
                for word in todo:
                    self._words[("w", word)] = found[word]
                while len(self._words) > _EMBEDDINGS_CACHED:
                    self._words.popitem(last=False)
        return found

    def embed(self, sentences: Sequence[Sentence]) -> np.ndarray:
        """Unit-length embeddings of ``sentences`` (rows), computing only those not cached."""
        keys = [(s.article.article_id, s.start_char, s.end_char) for s in sentences]
        found: dict[tuple[str, int, int], np.ndarray] = {}
        with self._lock:
            for key in keys:
                if key in self._vectors:
                    found[key] = self._vectors[key]
        todo = [i for i, key in enumerate(keys) if key not in found]
        if todo:
            vectors = self.index.embed_texts([sentences[i].text for i in todo])
            for i, vector in zip(todo, vectors, strict=True):
                array = np.asarray(vector, dtype=np.float32)
                found[keys[i]] = array / (np.linalg.norm(array) or 1.0)
            with self._lock:
                for i in todo:
                    self._vectors[keys[i]] = found[keys[i]]
                while len(self._vectors) > _EMBEDDINGS_CACHED:
                    self._vectors.popitem(last=False)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys])
