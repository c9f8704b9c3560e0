"""The plain llama-index recipe as a whole command, to time against ``newsbot ingest`` process for process.

``python -m eval.recipe FOLDER DATA_DIR [--model torch|onnx]`` does what a user would otherwise write:

    documents = SimpleDirectoryReader(folder).load_data()
    VectorStoreIndex.from_documents(documents, storage_context=<Chroma at DATA_DIR>, embed_model=model)

with llama-index defaults. ``--model torch`` (the default) is ``HuggingFaceEmbedding`` on the bundled
all-MiniLM-L6-v2, what the llama-index docs show (it needs the ``torch`` extra); ``--model onnx`` is the
same recipe with newsbot's ONNX Runtime embedding, to separate what the runtime gains from what newsbot's
own ingest does. Prints the number of nodes stored.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the recipe on ``argv`` = FOLDER DATA_DIR [--model torch|onnx]."""
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--model"):
        print(__doc__, file=sys.stderr)
        return 2
    folder, data_dir = Path(argv[0]), Path(argv[1])
    backend = argv[3] if len(argv) == 4 else "torch"

    from eval.baseline import Baseline, chroma_client, with_default_batch
    from retrieval.embeddings import load_bundled_model

    model = with_default_batch(load_bundled_model(backend=backend))
    base = Baseline(chroma_client(data_dir), "recipe", model)
    print(base.ingest(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
