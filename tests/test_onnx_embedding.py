"""The bundled model on ONNX Runtime: deterministic, unit-length, order- and batch-independent, truncating."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrieval.onnx_embedding import MAX_SEQ_LENGTH, OnnxEmbedding

NATO = "Finland will apply to join NATO, its president said on Sunday."
NATO_PARAPHRASE = "The Finnish head of state announced a bid for membership of the Atlantic alliance."
UNRELATED = "Whisk two eggs with the sugar until the mixture is pale and thick."


@pytest.fixture(scope="module")
def onnx_model(embed_model: Any) -> OnnxEmbedding:
    """The shared model, which is the ONNX one unless NEWSBOT_EMBED_BACKEND says otherwise."""
    if not isinstance(embed_model, OnnxEmbedding):
        pytest.skip("the shared model is not the ONNX one (NEWSBOT_EMBED_BACKEND=torch)")
    return embed_model


def test_vectors_are_unit_length_and_deterministic(onnx_model: OnnxEmbedding) -> None:
    first = onnx_model.embed_array([NATO, UNRELATED])
    again = onnx_model.embed_array([NATO, UNRELATED])
    assert first.shape == (2, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(first, again)


def test_similar_texts_are_nearer_than_unrelated_ones(onnx_model: OnnxEmbedding) -> None:
    nato, paraphrase, unrelated = onnx_model.embed_array([NATO, NATO_PARAPHRASE, UNRELATED])
    assert float(nato @ paraphrase) > float(nato @ unrelated) + 0.2


def test_a_text_gets_the_same_vector_alone_or_in_any_batch(onnx_model: OnnxEmbedding) -> None:
    texts = [UNRELATED, "NATO", NATO, NATO_PARAPHRASE * 3, "Sweden"]
    batch = np.asarray(onnx_model.get_text_embedding_batch(texts))
    alone = np.asarray([onnx_model.get_text_embedding(t) for t in texts])
    reversed_batch = onnx_model.embed_array(texts[::-1])[::-1]
    assert np.allclose(batch, alone, atol=1e-5)  # padding is masked out
    assert np.allclose(batch, reversed_batch, atol=1e-5)  # sorted by length inside, returned in order
    assert np.allclose(onnx_model.get_query_embedding(NATO), alone[2], atol=1e-6)


def test_short_texts_are_not_batched_with_a_much_longer_one(onnx_model: OnnxEmbedding) -> None:
    # rows sorted by length: a new batch where a text is more than twice the batch's shortest
    assert onnx_model._split([4, 2, 0, 3, 1], [10, 12, 19, 21, 45]) == [[4, 2, 0], [3], [1]]
    texts = ["Finland applied.", "Finland applied to join NATO on Sunday after months of debate in Helsinki."]
    together = onnx_model.embed_array(texts)
    alone = np.stack([onnx_model.embed_array([t])[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-5


def test_long_texts_are_truncated_at_the_model_window(onnx_model: OnnxEmbedding) -> None:
    long_start = " ".join(["Finland and Sweden applied to join NATO in May."] * 60)  # ~700 tokens
    assert onnx_model.token_counts([long_start]) == [MAX_SEQ_LENGTH]
    with_eggs, with_tanks = onnx_model.embed_array(
        [f"{long_start} {UNRELATED}", f"{long_start} Tanks rolled."]
    )
    assert np.allclose(with_eggs, with_tanks, atol=1e-6)  # what lies past the window is not seen


def test_empty_input_gives_no_vectors(onnx_model: OnnxEmbedding) -> None:
    assert onnx_model.get_text_embedding_batch([]) == []
    assert onnx_model.embed_array([]).shape[0] == 0


def test_a_second_session_on_the_same_file_gives_the_same_vectors(
    onnx_model: OnnxEmbedding, tmp_path: Path
) -> None:
    from retrieval.config import Settings
    from retrieval.embeddings import bundled_model_path, onnx_model_file

    model_file = onnx_model_file(Settings().model_cache_dir)
    other = OnnxEmbedding(model_file, Path(bundled_model_path()) / "tokenizer.json", threads=1)
    assert np.allclose(other.embed_array([NATO]), onnx_model.embed_array([NATO]), atol=1e-5)


def test_the_token_output_leaves_the_sentence_vectors_as_they_were(
    onnx_model: OnnxEmbedding, tmp_path: Path
) -> None:
    """The graph without ``token_embeddings`` (the graph before it was added) gives the same vectors."""
    from retrieval.embeddings import bundled_model_path
    from retrieval.onnx_export import build_model

    model = build_model(Path(bundled_model_path()))
    assert [o.name for o in model.graph.output] == ["sentence_embedding", "token_embeddings"]
    del model.graph.output[1]
    kept = [n for n in model.graph.node if "token_embeddings" not in n.output]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    before_file = tmp_path / "before.onnx"
    before_file.write_bytes(model.SerializeToString())
    before = OnnxEmbedding(before_file, Path(bundled_model_path()) / "tokenizer.json", threads=1)
    texts = [NATO, NATO_PARAPHRASE, UNRELATED, "NATO", " ".join([NATO] * 40)]
    assert np.array_equal(before.embed_array(texts), onnx_model.embed_array(texts))


def test_token_states_pool_into_the_sentence_vector(onnx_model: OnnxEmbedding) -> None:
    texts = [NATO, UNRELATED + " " + NATO_PARAPHRASE]
    vectors = onnx_model.embed_array(texts)
    for text, (states, offsets), vector in zip(
        texts, onnx_model.token_embeddings(texts), vectors, strict=True
    ):
        assert states.shape == (len(offsets), 384)
        assert [text[a:b] for a, b in offsets[:3]] == ["Finland", "will", "apply"] or text != NATO
        assert offsets[-1][1] == len(text)  # offsets are character spans of the text, specials left out
        # Mean pooling of the own tokens alone is close to the model's (which also counts [CLS] and [SEP]).
        mean = states.mean(axis=0)
        assert float(vector @ (mean / np.linalg.norm(mean))) > 0.95
    long_text = " ".join(["Finland and Sweden applied to join NATO in May."] * 60)
    ((states, offsets),) = onnx_model.token_embeddings([long_text])
    assert len(states) == MAX_SEQ_LENGTH - 2  # truncated like the sentence vectors
