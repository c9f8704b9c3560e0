"""Choosing and building the bundled model: ONNX by default, built once into the cache, torch only on request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import ensure_onnx_model, load_bundled_model, onnx_model_file
from retrieval.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_the_onnx_file_is_built_once_offline_and_reused(tmp_path: Path) -> None:
    built = ensure_onnx_model(tmp_path / "cache")
    assert built == onnx_model_file(tmp_path / "cache") and built.stat().st_size > 80_000_000
    stamp = built.stat().st_mtime_ns
    assert ensure_onnx_model(tmp_path / "cache").stat().st_mtime_ns == stamp  # not rebuilt
    assert [p.name for p in built.parent.iterdir()] == [built.name]  # no temporary file left behind


def test_the_export_is_reproducible(tmp_path: Path) -> None:
    from retrieval.embeddings import bundled_model_path
    from retrieval.onnx_export import write_model

    model_dir = Path(bundled_model_path())
    first = write_model(model_dir, tmp_path / "a.onnx").read_bytes()
    assert write_model(model_dir, tmp_path / "b.onnx").read_bytes() == first


def test_an_unwritable_cache_is_a_config_error_naming_the_setting(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="NEWSBOT_MODEL_CACHE_DIR"):
        ensure_onnx_model(blocker / "cache")


def test_an_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="onnx or torch"):
        load_bundled_model(backend="tensorflow")


def test_the_torch_backend_without_its_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.embeddings.huggingface", None)  # import now fails
    with pytest.raises(ConfigError, match=r"newsbot\[torch\]"):
        load_bundled_model(backend="torch")


def test_the_default_model_path_imports_no_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from retrieval.embeddings import shared_model\n"
        "vector = shared_model().get_query_embedding('Who leads Finland?')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print(len(vector), heavy)\n"
    )
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["384", "[]"]


def test_onnx_vectors_match_the_torch_model() -> None:
    pytest.importorskip("sentence_transformers", reason="the torch extra is not installed")
    texts = ["Who is the president of Finland?", "Sweden and Finland applied to join NATO in May 2022."]
    onnx = np.asarray(load_bundled_model(backend="onnx").get_text_embedding_batch(texts))
    torch = np.asarray(load_bundled_model(backend="torch").get_text_embedding_batch(texts))
    assert float((onnx * torch).sum(axis=1).min()) > 0.999
