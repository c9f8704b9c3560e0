"""BM25 over the committed chunks (bm25s), built once and rebuilt only when the store changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.types import SearchFilters

if TYPE_CHECKING:
    import bm25s

_STEMMER: Any = None


def _stemmer() -> Any:
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens (the same for chunks and queries)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class _Columns:
    """Per-chunk fields that filters need, aligned with the BM25 document order."""

    chunk_ids: list[str]
    file_names: np.ndarray
    sources: np.ndarray
    published_ord: np.ndarray


class LexicalIndex:
    """BM25 ranking of chunk ids; holds ids and filter columns, not the chunk texts."""

    def __init__(self, rows: Iterable[tuple[str, str, dict[str, Any]]], live_article_ids: set[str]) -> None:
        import bm25s

        chunk_ids: list[str] = []
        texts: list[str] = []
        file_names: list[str] = []
        sources: list[str] = []
        published: list[int] = []
        for chunk_id, text, metadata in rows:
            if metadata.get("article_id") not in live_article_ids:
                continue  # an uncommitted or replaced version: invisible
            chunk_ids.append(chunk_id)
            texts.append(f"{metadata.get('title', '')}\n{text}")
            file_names.append(str(metadata.get("file_name", "")))
            sources.append(str(metadata.get("source", "")))
            published.append(int(metadata.get("published_ord", 0) or 0))
        self._columns = _Columns(chunk_ids, np.array(file_names), np.array(sources), np.array(published))
        self._bm25: bm25s.BM25 | None = None
        if chunk_ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index(bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False), show_progress=False)

    def __len__(self) -> int:
        return len(self._columns.chunk_ids)

    def _mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters == SearchFilters():
            return None
        cols = self._columns
        keep = np.ones(len(cols.chunk_ids), dtype=bool)
        if filters.sources:
            wanted = list(filters.sources)
            keep &= np.isin(cols.file_names, wanted) | np.isin(cols.sources, wanted)
        if filters.published_from:
            keep &= cols.published_ord >= int(filters.published_from.strftime("%Y%m%d"))
        if filters.published_to:
            keep &= (cols.published_ord > 0) & (cols.published_ord <= int(filters.published_to.strftime("%Y%m%d")))
        return keep.astype(np.float32)

    def top(self, query: str, n: int, filters: SearchFilters | None = None) -> list[tuple[str, float]]:
        """The ``n`` best chunk ids for ``query`` with their BM25 scores (only positive scores)."""
        if self._bm25 is None:
            return []
        tokens = [t for t in tokenize([query])[0] if t in self._bm25.vocab_dict]
        if not tokens:
            return []
        mask = self._mask(filters)
        n = min(n, len(self))
        ids, scores = self._bm25.retrieve([tokens], k=n, show_progress=False, weight_mask=mask, n_threads=1)
        return [
            (self._columns.chunk_ids[int(i)], float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0
        ]
