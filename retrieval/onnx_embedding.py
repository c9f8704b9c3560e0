"""all-MiniLM-L6-v2 on ONNX Runtime, as a llama-index ``BaseEmbedding``: no torch, no transformers.

What sentence-transformers does, done with the Rust ``tokenizers`` package and one ONNX Runtime session:
tokenize with the model's own ``tokenizer.json``, truncate at ``max_seq_length`` tokens (256), run the
encoder, mean-pool over the attention mask and L2-normalise (pooling and normalisation are inside the graph
built by :mod:`retrieval.onnx_export`). Texts are sorted by length before batching, so a batch pads to the
length of similar texts rather than to its longest one; the results come back in the callers' order.
Vectors do not depend on batching: padding is masked out, so a text gets the same vector alone or in a batch.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr

MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of all-MiniLM-L6-v2
PAD_GROWTH = 2.0  # hand-set (speed only: a text's vector does not depend on its batch)


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class OnnxEmbedding(BaseEmbedding):
    """Sentence embeddings from an ONNX file whose output is ``sentence_embedding`` (batch x dim, unit length)."""

    max_length: int = Field(MAX_SEQ_LENGTH, description="Tokens kept per text (longer texts are truncated).")
    threads: int = Field(default_factory=cpu_count, description="ONNX Runtime intra-op threads.")

    _model_file: str = PrivateAttr()
    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr()
    _input_names: tuple[str, ...] = PrivateAttr(default=())
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, model_file: Path | str, tokenizer_file: Path | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from tokenizers import Tokenizer

        self._model_file = str(model_file)
        self._session = None  # opened by prefetch() or on the first embedding
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=self.max_length)
        tokenizer.no_padding()  # padded per batch below, to the batch's longest text
        self._tokenizer = tokenizer

    def prefetch(self) -> None:
        """Open the session in a background thread: ONNX Runtime loads it without holding the GIL, so
        a command's start-up (opening Chroma, reading the BM25 index) goes on meanwhile."""
        if self._session is None:
            # Not a daemon: a process that exits first waits for it rather than tearing down mid-load.
            threading.Thread(target=self._locked_open, name="onnx-session", daemon=False).start()

    def _locked_open(self) -> None:
        with self._lock:
            self._open_session()

    def _open_session(self) -> Any:
        """The ONNX Runtime session (called with the lock held)."""
        if self._session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.log_severity_level = 3  # warnings about shape merging are noise in a CLI
            # Idle threads sleep instead of spinning: on a shared or busy machine, spinning threads take
            # cores from the very threads they wait for (measured: up to 1.5x slower at load 10 on 2 cores).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = onnxruntime.InferenceSession(
                self._model_file, options, providers=["CPUExecutionProvider"]
            )
            self._input_names = tuple(i.name for i in session.get_inputs())
            self._session = session
        return self._session

    @classmethod
    def class_name(cls) -> str:
        """Name llama-index records for this embedding class."""
        return "OnnxEmbedding"

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens the model sees for each text (special tokens included, after truncation)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts)]

    def _split(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Length-sorted rows cut into batches of at most ``embed_batch_size``, a new batch also where a text
        is more than :data:`PAD_GROWTH` times the batch's shortest: a few short texts are not padded to a
        long one's length (the ten sentences an answer scores: ~24 % less model time)."""
        batches: list[list[int]] = []
        shortest = 0
        for row, length in zip(order, lengths, strict=True):
            if not batches or len(batches[-1]) == self.embed_batch_size or length > PAD_GROWTH * shortest:
                batches.append([row])
                shortest = max(length, 1)
            else:
                batches[-1].append(row)
        return batches

    def _batches(self, encodings: list[Any], output: str) -> Any:
        """Run the model on ``encodings`` in length-sorted batches; yields (indices, ``output`` of the batch)."""
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for rows in self._split(order, [len(encodings[i].ids) for i in order]):
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            with self._lock:  # one run at a time: the session already uses every core
                session = self._open_session()
                inputs = {name: feed[name] for name in self._input_names}
                values = session.run([output], inputs)[0]
            yield rows, values

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts`` as a (len(texts), dim) float32 array, in the order given."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        out: np.ndarray | None = None
        for rows, vectors in self._batches(self._tokenizer.encode_batch(list(texts)), "sentence_embedding"):
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out

    def token_embeddings(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The last layer's token states of each text (what mean pooling averages), with character offsets.

        Per text: ``(states, offsets)``, ``states`` a (tokens, dim) float32 array and ``offsets`` a
        (tokens, 2) int array of ``[start, end)`` character spans in the text, for the text's own tokens
        (the special ``[CLS]`` and ``[SEP]`` tokens are left out). Truncated at ``max_length`` like
        :meth:`embed_array`; a text gets the same states alone or in a batch (padding is masked out).
        """
        encodings = self._tokenizer.encode_batch(list(texts))
        out: list[tuple[np.ndarray, np.ndarray]] = [
            (np.zeros((0, 0), dtype=np.float32), np.zeros((0, 2), dtype=np.int64)) for _ in texts
        ]
        for rows, states in self._batches(encodings, "token_embeddings"):
            for row, i in enumerate(rows):
                own = np.flatnonzero(np.asarray(encodings[i].special_tokens_mask) == 0)
                offsets = np.asarray(encodings[i].offsets, dtype=np.int64).reshape(-1, 2)
                out[i] = (np.ascontiguousarray(states[row, own]), offsets[own])
        return out

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self.embed_array([query])[0]]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in self.embed_array([text])[0]]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()
