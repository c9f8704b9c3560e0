"""The entity model behind answer spans: the recogniser alone, loaded without importing torch."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from retrieval.answering import spans
from retrieval.answering.spans import entities

SENTENCE = "Finland's president Sauli Niniisto met NATO officials in Helsinki on 15 May 2022."


def test_the_recogniser_alone_finds_people_places_and_dates() -> None:
    found = entities([SENTENCE])[0]
    assert ("Sauli Niniisto", "PERSON") in found
    assert ("Helsinki", "GPE") in found
    assert ("15 May 2022", "DATE") in found
    assert spans._model().pipe_names == ["ner"]


def test_loading_the_model_leaves_torch_unimported_and_importable() -> None:
    script = (
        "import sys\n"
        "from retrieval.answering.spans import entities\n"
        f"print(entities([{SENTENCE!r}])[0][0], sys.modules.get('torch', 'absent'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["('Finland',", "'GPE')", "absent"]


def test_torch_reads_as_absent_only_while_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    with spans._torch_hidden(), pytest.raises(ImportError):
        import torch  # noqa: F401
    assert "torch" not in sys.modules


def test_a_torch_this_process_loaded_stays_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = types.ModuleType("torch")
    monkeypatch.setitem(sys.modules, "torch", loaded)
    with spans._torch_hidden():
        assert sys.modules["torch"] is loaded
    assert sys.modules["torch"] is loaded
