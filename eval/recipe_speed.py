"""Time the plain llama-index recipe (``eval/baseline.py``) on a suite's corpus, in the same run as the eval.

The issue's speed target reads "warm ``ask`` p95 on the RGB corpus, measured against the recipe in the same
run": the recipe's index is built from the same folder with the same model object, then every question of
the suite is put to its retriever (``similarity_top_k`` = :data:`RECIPE_K`). The first query is a warm-up
and is not counted, as for newsbot's ``ask``. Only query latency is compared, so the recipe is built with
newsbot's embedding batch size rather than llama-index's default of 10: the same model, about three times
sooner on 2 CPU cores (the ingest comparison is ``newsbot bench speed``'s job). Nothing here is gated:
latency depends on the machine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eval.metrics import percentile

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

RECIPE_K = 5  # passages the recipe retrieves per query (as in ``newsbot bench speed``)


@dataclass(frozen=True)
class RecipeSpeed:
    """The recipe's warm query latency over one corpus, and what building it took."""

    queries: int  # timed (warm) queries
    k: int
    p50_ms: float | None
    p95_ms: float | None
    nodes: int
    ingest_s: float


def measure_recipe(
    articles: Path, questions: Sequence[str], model: BaseEmbedding, scratch: Path
) -> RecipeSpeed:
    """Build the recipe's index of ``articles`` under ``scratch`` and time one query per question."""
    from eval.baseline import Baseline, chroma_client

    recipe = Baseline(chroma_client(scratch / "recipe"), "recipe", model)
    started = time.perf_counter()
    nodes = recipe.ingest(articles)
    ingest_s = time.perf_counter() - started
    latencies_ms: list[float] = []
    for question in questions:
        started = time.perf_counter()
        recipe.retrieve(question, k=RECIPE_K)
        latencies_ms.append((time.perf_counter() - started) * 1000)
    warm = latencies_ms[1:]
    return RecipeSpeed(
        queries=len(warm),
        k=RECIPE_K,
        p50_ms=percentile(warm, 0.50),
        p95_ms=percentile(warm, 0.95),
        nodes=nodes,
        ingest_s=ingest_s,
    )


def ask_to_recipe_ratio(ask_p95_ms: float | None, recipe: RecipeSpeed | None) -> float | None:
    """newsbot's warm ``ask`` p95 over the recipe's warm query p95 (None when either is missing)."""
    if ask_p95_ms is None or recipe is None or not recipe.p95_ms:
        return None
    return ask_p95_ms / recipe.p95_ms
