"""The garbage collector while a command loads its libraries: paused, then what was loaded frozen.

Importing llama-index, Chroma and spaCy and opening the index leave about 230,000 objects the collector
tracks, nearly all of them alive as long as the process. A running collector scans them again and again
while they are being made (about a fifth of the import time measured here) and again when the interpreter
exits (0.3–0.4 s after a bare ``import llama_index.core, chromadb``). Paused while a command loads and then
frozen (moved where no collection looks), they cost neither; the collector then runs as usual for the
command's own work. What the freeze keeps for good is the garbage of loading: 6 objects after a cold ``ask``.

For the command line only: a library user decides their own process's collector.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Pause the collector for the block; freeze every object alive at its end; resume (nests)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
