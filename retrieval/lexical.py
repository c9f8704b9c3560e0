"""BM25 over the committed chunks (bm25s), built once and rebuilt only when the store changes.

A built index can be saved to a folder and loaded back (memory-mapped), so that a new process over an
unchanged store does not re-read and re-tokenise every chunk; :mod:`retrieval.index` keys the folder by the
store's generation and committed articles, so a saved index is only ever used for the store it was built from.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.ingest import context_title
from retrieval.types import SearchFilters

if TYPE_CHECKING:
    import bm25s

log = logging.getLogger(__name__)
_STEMMER: Any = None
_FORMAT = 1  # bump when the saved layout changes


def _stemmer() -> Any:
    global _STEMMER
    if _STEMMER is None:
        import Stemmer

        _STEMMER = Stemmer.Stemmer("english")
    return _STEMMER


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens (the same for chunks and queries)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=4096)
def stems(text: str) -> frozenset[str]:
    """The distinct tokens :func:`tokenize` gives ``text``, for a check run on every sentence weighed:
    ``bm25s.tokenize`` costs ~40 µs a call before any text is read; this, a few µs (cached per text)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _stopwords()]
    return frozenset(_stemmer().stemWords(words))


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
            texts.append(f"{context_title(str(metadata.get('title', '')))}\n{text}")
            file_names.append(str(metadata.get("file_name", "")))
            sources.append(str(metadata.get("source", "")))
            published.append(int(metadata.get("published_ord", 0) or 0))
        self._columns = _Columns(chunk_ids, np.array(file_names), np.array(sources), np.array(published))
        self._bm25: bm25s.BM25 | None = None
        if chunk_ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index(
                bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False),
                show_progress=False,
            )

    @classmethod
    def _from_parts(cls, columns: _Columns, bm25: bm25s.BM25 | None) -> LexicalIndex:
        index = cls.__new__(cls)
        index._columns = columns
        index._bm25 = bm25
        return index

    def __len__(self) -> int:
        return len(self._columns.chunk_ids)

    def nbytes(self) -> int:
        """Bytes held by the BM25 matrix and the filter columns (ids counted as their UTF-8 length)."""
        cols = self._columns
        total = cols.file_names.nbytes + cols.sources.nbytes + cols.published_ord.nbytes
        total += sum(len(c) for c in cols.chunk_ids)
        if self._bm25 is not None:
            scores = self._bm25.scores
            total += sum(int(getattr(scores[k], "nbytes", 0)) for k in ("data", "indices", "indptr"))
        return int(total)

    def save(self, folder: Path) -> None:
        """Write the index to ``folder`` atomically (a temporary folder renamed into place)."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        try:
            cols = self._columns
            np.savez(
                tmp / "columns.npz",
                chunk_ids=np.array(cols.chunk_ids, dtype=str),
                file_names=cols.file_names,
                sources=cols.sources,
                published_ord=cols.published_ord,
            )
            if self._bm25 is not None:
                self._bm25.save(tmp / "bm25", show_progress=False)
            (tmp / "format.json").write_text(json.dumps({"format": _FORMAT, "chunks": len(self)}))
            os.replace(tmp, folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (folder / "format.json").exists():  # another process may have won the race: fine
                raise

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The index saved in ``folder``, or None when there is none (or it is unreadable or outdated)."""
        import bm25s

        try:
            info = json.loads((folder / "format.json").read_text())
            if info.get("format") != _FORMAT:
                return None
            with np.load(folder / "columns.npz", allow_pickle=False) as data:
                chunk_ids = [str(c) for c in data["chunk_ids"]]
                columns = _Columns(chunk_ids, data["file_names"], data["sources"], data["published_ord"])
            bm25 = None
            if (folder / "bm25").exists():
                bm25 = bm25s.BM25.load(folder / "bm25", mmap=True, show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring the saved BM25 index in %s: %s", folder, type(exc).__name__)
            return None
        if len(columns.chunk_ids) != info.get("chunks"):
            return None
        return cls._from_parts(columns, bm25)

    def document_frequency(self, tokens: Iterable[str]) -> dict[str, int]:
        """How many chunks contain each (already tokenized) token; 0 for words the corpus never uses."""
        if self._bm25 is None:
            return dict.fromkeys(tokens, 0)
        vocab = self._bm25.vocab_dict
        indptr = self._bm25.scores["indptr"]
        return {t: int(indptr[vocab[t] + 1] - indptr[vocab[t]]) if t in vocab else 0 for t in tokens}

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
            keep &= (cols.published_ord > 0) & (
                cols.published_ord <= int(filters.published_to.strftime("%Y%m%d"))
            )
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
            (self._columns.chunk_ids[int(i)], float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if s > 0
        ]
