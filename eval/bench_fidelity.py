"""``newsbot bench fidelity``: the ONNX model's vectors against the torch (sentence-transformers) model's.

Embeds, with both runtimes, what newsbot embeds on the seeds: every chunk as ingest gives it to the model
(headline + chunk), every sentence (what the answer composer scores at query time) and every question of
the eval set (queries); reports the cosine similarity of each pair of vectors, min and mean per kind.
Needs the ``torch`` extra. The acceptance bar is a minimum cosine of 0.99 on every kind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MIN_COSINE = 0.99


def seed_texts(seeds_dir: Path = ROOT / "seeds") -> dict[str, list[str]]:
    """Chunks (as ingest embeds them), sentences and eval questions of the seed corpus."""
    from retrieval.chunk_vectors import model_texts
    from retrieval.chunking import chunk_article
    from retrieval.corpus import load_paths
    from retrieval.sentences import sentence_spans
    from retrieval.types import Article

    articles = [a for a in load_paths([seeds_dir], max_bytes=10**8) if isinstance(a, Article)]
    chunks = [c for a in articles for c in chunk_article(a)]
    metas = {a.meta.article_id: a.meta for a in articles}
    questions_file = ROOT / "eval" / "questions.jsonl"
    return {
        "chunks": model_texts(chunks, metas),
        "sentences": [a.text[s:e] for a in articles for s, e in sentence_spans(a.text)],
        "questions": [json.loads(line)["question"] for line in questions_file.open() if line.strip()],
    }


def fidelity(texts: dict[str, list[str]]) -> dict[str, Any]:
    """Cosine of ONNX vs torch vectors per kind of text: count, min, mean."""
    from retrieval.embeddings import load_bundled_model

    onnx, torch = load_bundled_model(backend="onnx"), load_bundled_model(backend="torch")
    result: dict[str, Any] = {}
    for kind, items in texts.items():
        a = np.asarray(onnx.get_text_embedding_batch(items))
        b = np.asarray(torch.get_text_embedding_batch(items))
        cosines = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        result[kind] = {
            "texts": len(items),
            "min": round(float(cosines.min()), 7),
            "mean": round(float(cosines.mean()), 7),
        }
    result["passed"] = all(v["min"] >= MIN_COSINE for k, v in result.items() if isinstance(v, dict))
    return result
