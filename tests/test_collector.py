"""The CLI's collector pause while loading: off inside, frozen and back on after, nesting and errors included."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from retrieval.collector import loading


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()
    else:  # pragma: no cover - pytest runs with the collector on
        gc.disable()


def test_the_collector_is_off_while_loading_and_what_was_loaded_is_frozen() -> None:
    gc.enable()
    before = gc.get_freeze_count()
    with loading():
        assert not gc.isenabled()
        loaded = [[i] for i in range(1000)]  # 1,001 lists the collector tracks
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(loaded)


def test_a_nested_block_leaves_the_collector_off_until_the_outer_one_ends() -> None:
    gc.enable()
    with loading():
        with loading():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with loading():
        pass
    assert not gc.isenabled()


def test_the_collector_resumes_when_loading_fails() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), loading():
        raise RuntimeError("the index could not be opened")
    assert gc.isenabled()
