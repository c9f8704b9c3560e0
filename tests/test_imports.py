"""What importing ``retrieval`` and starting ``newsbot`` load: public names on first use, nothing heavy up front."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import retrieval

# Loaded by the commands that use them, never by `newsbot --help` (nor before `stats`/`search` open the index).
HEAVY = (
    "numpy",
    "llama_index.core",
    "chromadb",
    "onnxruntime",
    "spacy",
    "torch",
    "retrieval.answering",
    "retrieval.index",
    "eval.gate",
)


def test_every_public_name_resolves_to_its_home_module() -> None:
    for name in retrieval.__all__:
        value = getattr(retrieval, name)
        assert value is getattr(importlib.import_module(retrieval._HOMES[name]), name)
    assert set(retrieval.__all__) <= set(dir(retrieval))
    assert sorted(retrieval._HOMES) == sorted(retrieval.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = retrieval.Nope  # type: ignore[attr-defined]


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['newsbot', '--help']\n"
        "from retrieval.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert "ingest" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"
