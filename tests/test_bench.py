"""The speed benchmark harness end to end on a tiny corpus (it must work, not be fast: no timed asserts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from eval.bench_cli import register
from eval.bench_measure import percentile
from eval.corpus_gen import generate_corpus
from retrieval.corpus import load_paths
from retrieval.types import Article

ROOT = Path(__file__).resolve().parent.parent


def test_generated_corpus_is_reproducible_distinct_and_dated(tmp_path: Path, seeds_dir: Path) -> None:
    first = generate_corpus(tmp_path / "a", 30, seeds_dir=seeds_dir, seed=7)
    again = generate_corpus(tmp_path / "b", 30, seeds_dir=seeds_dir, seed=7)
    other = generate_corpus(tmp_path / "c", 30, seeds_dir=seeds_dir, seed=8)
    files = sorted(first.articles_dir.glob("*.txt"))
    assert len(files) == 30
    assert [f.read_text() for f in files] == [f.read_text() for f in sorted(again.articles_dir.glob("*.txt"))]
    assert files[0].read_text() != (other.articles_dir / files[0].name).read_text()
    records = [json.loads(line) for line in first.manifest.read_text().splitlines()]
    for key in ("id", "title", "published", "file"):
        assert len({r[key] for r in records}) == 30, key
    articles = [a for a in load_paths([first.articles_dir], max_bytes=10**7) if isinstance(a, Article)]
    assert len({a.meta.article_id for a in articles}) == 30
    assert all(r["published"] in (first.articles_dir / r["file"]).read_text() for r in records)


def test_percentile_interpolates() -> None:
    assert percentile([], 95) == 0.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)


def test_word_mean_vectors_are_normalised_and_keep_similar_texts_close(embed_model: Any) -> None:
    import numpy as np

    from eval.bench_vectors import WordMeanEmbedding

    model = WordMeanEmbedding(embed_model)
    a, b, c = (
        np.array(v)
        for v in model.get_text_embedding_batch(
            [
                "Finland will apply to join NATO",
                "Finland applies to join NATO soon",
                "The recipe needs two eggs",
            ]
        )
    )
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) > float(a @ c)
    assert model.get_query_embedding("NATO") == pytest.approx(list(embed_model.get_query_embedding("NATO")))


@pytest.mark.slow
@pytest.mark.server
def test_bench_speed_end_to_end_on_a_tiny_corpus(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command keeps `bench` a sub-command
    register(app)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "speed",
            "--articles",
            "12",
            "--ingest-articles",
            "6",
            "--chunks-target",
            "250",
            "--repeats",
            "1",
            "--questions",
            "3",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    ingest = {(row["system"], row["mode"]) for row in data["ingest"]}
    assert ingest == {(s, m) for s in ("newsbot", "baseline") for m in ("embedded", "server")}
    assert all(row["chunks"] > 0 and row["articles"] == 6 for row in data["ingest"])
    assert data["reingest"]["unchanged"] == 6
    assert data["reingest"]["written"] == 0
    rows = {(q["system"], q["operation"], q["mode"], q["corpus"]) for q in data["queries"]}
    expected_corpora = {"seeds", "12-articles", "22-articles"}
    for corpus in expected_corpora:
        for mode in ("embedded", "server"):
            assert {("newsbot", "search", mode, corpus), ("newsbot", "ask", mode, corpus)} <= rows
            assert ("baseline", "retrieve", mode, corpus) in rows
    assert all(q["samples"] == 3 and q["p95_ms"] >= q["p50_ms"] > 0 for q in data["queries"])
    assert "newsbot serve" in data["cold"]
    assert any(key.startswith("newsbot ") and "median_s" in value for key, value in data["cold"].items())
    assert data["cold"]["ask vs bare import"]["newsbot ask"]["vs bare import"] > 0
    commands = data["cold"]["ingest commands"]
    assert {"newsbot ingest", "recipe (onnx model)"} <= set(commands)
    assert all(v["articles_per_s"] > 0 and v["vs newsbot ingest"] > 0 for v in commands.values())
    table = (out / "table.md").read_text()
    assert "Whole commands, ingest commands" in table and "| recipe (onnx model) |" in table
    assert "| embedded | 12-articles | newsbot | ask |" in table
    assert "| server | seeds | baseline | retrieve |" in table
    assert (out / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fidelity_texts_cover_chunks_sentences_and_questions() -> None:
    from eval.bench_fidelity import seed_texts

    texts = seed_texts()
    assert len(texts["chunks"]) >= 20 and len(texts["sentences"]) > len(texts["chunks"])
    assert len(texts["questions"]) >= 100
    assert all(t.strip() for kind in texts.values() for t in kind)


@pytest.mark.slow
def test_bench_fidelity_passes_with_the_torch_extra() -> None:
    pytest.importorskip("sentence_transformers", reason="the torch extra is not installed")
    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)
    result = CliRunner().invoke(app, ["bench", "fidelity"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert figures["passed"] and figures["sentences"]["min"] >= 0.99


def test_an_unknown_ingest_recipe_is_refused_before_the_bench_runs(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command keeps `bench` a sub-command
    register(app)
    result = CliRunner().invoke(
        app, ["bench", "speed", "--ingest-recipes", "chunk,lately", "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "lately" in result.output and "late" in result.output
    assert not (tmp_path / "out").exists()  # nothing was generated or measured
