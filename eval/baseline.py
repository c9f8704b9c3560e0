"""The plain llama-index recipe a user would otherwise write: the baseline every speed figure is a ratio to.

``SimpleDirectoryReader`` → ``VectorStoreIndex.from_documents`` into a Chroma collection, default settings
(``SentenceSplitter`` of 1,024 tokens with 200 overlap, ``embed_batch_size`` 10), with the same embedding
model object newsbot uses; queries go through ``index.as_retriever()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from llama_index.core import VectorStoreIndex
    from llama_index.core.base.embeddings.base import BaseEmbedding

LLAMA_INDEX_DEFAULT_EMBED_BATCH = 10


def with_default_batch(model: BaseEmbedding) -> BaseEmbedding:
    """The same model object's weights with llama-index's default batch size (a shallow pydantic copy)."""
    return model.model_copy(update={"embed_batch_size": LLAMA_INDEX_DEFAULT_EMBED_BATCH})


def chroma_client(data_dir: Path, host: str | None = None, port: int = 8000) -> ClientAPI:
    """An embedded Chroma under ``data_dir``, or an HTTP client for a server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir), settings=settings)


class Baseline:
    """One llama-index ``VectorStoreIndex`` over one Chroma collection."""

    def __init__(self, client: ClientAPI, collection: str, embed_model: BaseEmbedding) -> None:
        self.client = client
        self.collection_name = collection
        self.embed_model = embed_model
        self.index: VectorStoreIndex | None = None
        self._retriever: Any = None

    def _storage(self) -> Any:
        from llama_index.core import StorageContext
        from llama_index.vector_stores.chroma import ChromaVectorStore

        collection = self.client.get_or_create_collection(self.collection_name)
        return StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))

    def ingest(self, articles_dir: Path) -> int:
        """The recipe: read every file, split, embed and store; returns the number of nodes stored."""
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

        documents = SimpleDirectoryReader(str(articles_dir)).load_data()
        self.index = VectorStoreIndex.from_documents(
            documents, storage_context=self._storage(), embed_model=self.embed_model
        )
        self._retriever = None
        return self.count()

    def open(self) -> None:
        """Attach to an existing collection (what a fresh process would do)."""
        from llama_index.core import VectorStoreIndex

        storage = self._storage()
        self.index = VectorStoreIndex.from_vector_store(storage.vector_store, embed_model=self.embed_model)
        self._retriever = None

    def retrieve(self, query: str, k: int = 5) -> list[str]:
        """Texts of the ``k`` nearest nodes, through the default retriever."""
        if self.index is None:
            self.open()
        assert self.index is not None
        if self._retriever is None or self._retriever.similarity_top_k != k:
            self._retriever = self.index.as_retriever(similarity_top_k=k)
        return [hit.node.get_content() for hit in self._retriever.retrieve(query)]

    def count(self) -> int:
        """Nodes in the collection."""
        return int(self.client.get_or_create_collection(self.collection_name).count())

    def documents(self) -> list[str]:
        """Every stored node text (for counting the tokens the model saw)."""
        collection = self.client.get_or_create_collection(self.collection_name)
        out: list[str] = []
        offset = 0
        while True:
            got = collection.get(include=["documents"], limit=5000, offset=offset)
            out.extend(d or "" for d in got["documents"] or [])
            if len(got["ids"]) < 5000:
                return out
            offset += 5000
