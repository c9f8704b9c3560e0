"""Cheap document vectors for building large benchmark stores: the real model, once per word, not per chunk.

Embedding 100,000 chunks with all-MiniLM-L6-v2 takes hours on 2 CPU cores, yet query latency depends on the
size and shape of the stores, not on how the vectors were made. :class:`WordMeanEmbedding` gives each
document the normalised mean of the real model's embeddings of its words (each distinct word embedded once
and cached; words with digits, such as file paths and dates, get a fixed pseudo-random vector instead), so
document vectors live in the model's own space and similar texts stay close. Queries go through the real
model unchanged, so the measured query latency includes the real query-embedding cost.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

_WORD = re.compile(r"[^\W_]+")


class WordMeanEmbedding(BaseEmbedding):
    """Documents: mean of cached per-word model vectors. Queries: the wrapped model itself."""

    _inner: Any = PrivateAttr()
    _cache: dict[str, np.ndarray] = PrivateAttr(default_factory=dict)

    def __init__(self, inner: BaseEmbedding, **kwargs: Any) -> None:
        super().__init__(model_name=f"word-mean({inner.model_name})", embed_batch_size=2048, **kwargs)
        self._inner = inner

    @classmethod
    def class_name(cls) -> str:
        """Name llama-index records for this embedding class."""
        return "WordMeanEmbedding"

    def _random_vector(self, word: str, dim: int) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
        return vector / float(np.linalg.norm(vector))

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        cache = self._cache  # a local: pydantic's private-attribute lookup is slow in these loops
        words_per_text = [_WORD.findall(text.lower()) for text in texts]
        missing = sorted({w for words in words_per_text for w in words if w not in cache})
        plain = [w for w in missing if not any(ch.isdigit() for ch in w)]
        for start in range(0, len(plain), 256):
            batch = plain[start : start + 256]
            for word, vector in zip(batch, self._inner._get_text_embeddings(batch), strict=True):
                cache[word] = np.asarray(vector, dtype=np.float32)
        dim = len(next(iter(cache.values()))) if cache else 384
        for word in missing:
            if word not in cache:
                cache[word] = self._random_vector(word, dim)
        out = []
        for words in words_per_text:
            if not words:
                out.append(self._random_vector("", dim).tolist())
                continue
            mean = np.mean([cache[w] for w in words], axis=0)
            out.append((mean / float(np.linalg.norm(mean) or 1.0)).tolist())
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        return list(self._inner.get_query_embedding(query))

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vectors([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._vectors(texts)

    @property
    def words_cached(self) -> int:
        """Distinct words embedded (or hashed) so far."""
        return len(self._cache)
