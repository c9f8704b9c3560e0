"""Hybrid ranking: reciprocal rank fusion of the dense and BM25 lists, and Chroma filter clauses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from retrieval.types import SearchFilters

RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of top ranks


def fuse(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ids ranked by the sum of 1/(k + rank) over the lists they appear in."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def chroma_where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """The Chroma ``where`` clause for ``filters`` (None when there is nothing to filter)."""
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        wanted = list(filters.sources)
        clauses.append({"$or": [{"file_name": {"$in": wanted}}, {"source": {"$in": wanted}}]})
    if filters.published_from:
        clauses.append({"published_ord": {"$gte": int(filters.published_from.strftime("%Y%m%d"))}})
    if filters.published_to:
        clauses.append({"published_ord": {"$gt": 0}})
        clauses.append({"published_ord": {"$lte": int(filters.published_to.strftime("%Y%m%d"))}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
