"""Whole commands, timed as a user waits for them: cold ``newsbot ask`` and ``newsbot ingest`` against their floors.

- **cold ask**: ``newsbot ask QUESTION`` from process start to exit, against the bare
  ``python -c "import llama_index.core, chromadb"`` that no answer can avoid (and the same import with the
  garbage collector paused as newsbot pauses it, the like-for-like floor);
- **ingest**: ``newsbot ingest FOLDER`` into a fresh store, against the plain llama-index recipe as a whole
  command (``python -m eval.recipe``) on the same folder: with the torch model a user of the llama-index
  docs would load (when the torch extra is installed) and with newsbot's ONNX model.

Runs alternate (A B, B A, …) so that load from other processes falls on both sides alike; the figures to
read are the ratios of the medians, taken in the same run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from functools import partial
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from eval.bench_measure import median

BARE_IMPORT = "import llama_index.core, chromadb"
# The same import with the collector paused and frozen as newsbot's commands do (retrieval/collector.py):
# the like-for-like floor, so that the ratio against it shows what newsbot itself adds.
BARE_IMPORT_PAUSED = f"import gc; gc.disable(); {BARE_IMPORT}; gc.freeze()"


def _installed(module: str) -> bool:
    """True when ``module`` can be imported (a missing parent package counts as not installed)."""
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _env(data_dir: Path | None = None, collection: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_LLM_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    if data_dir is not None:
        env["NEWSBOT_DATA_DIR"] = str(data_dir)
    if collection is not None:
        env["NEWSBOT_COLLECTION"] = collection
    return env


def timed_command(args: list[str], env: dict[str, str], timeout_s: float = 3600) -> float:
    """Seconds from start to exit of ``args``; raises with the tail of stderr when it fails."""
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({done.returncode}): {done.stderr[-800:]}")
    return seconds


def _alternate(commands: dict[str, Any], repeats: int) -> dict[str, list[float]]:
    """Run each named command ``repeats`` times, rotating which goes first; seconds per run."""
    names = list(commands)
    runs: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(commands[name]())
    return runs


def _summary(runs: dict[str, list[float]], floor: str) -> dict[str, Any]:
    medians = {name: median(values) for name, values in runs.items()}
    return {
        name: {
            "median_s": round(medians[name], 2),
            "runs_s": [round(v, 2) for v in values],
            f"vs {floor}": round(medians[name] / medians[floor], 2) if medians[floor] else None,
        }
        for name, values in runs.items()
    }


def cold_ask_vs_bare_import(
    newsbot: str, data_dir: Path, collection: str, question: str, repeats: int
) -> dict[str, Any]:
    """Cold ``newsbot ask`` (an existing store) and the bare import it cannot avoid (also with the collector
    paused, as newsbot pauses it), alternated."""
    env = _env(data_dir, collection)
    commands = {
        "newsbot ask": lambda: timed_command([newsbot, "ask", question], env),
        "bare import": lambda: timed_command([sys.executable, "-c", BARE_IMPORT], env),
        "bare import, collector paused": lambda: timed_command(
            [sys.executable, "-c", BARE_IMPORT_PAUSED], env
        ),
    }
    return _summary(_alternate(commands, repeats), "bare import")


def ingest_vs_recipe(
    newsbot: str, articles_dir: Path, work_dir: Path, repeats: int, recipes: Sequence[str] = ()
) -> dict[str, Any]:
    """``newsbot ingest`` against the recipe command (torch model if installed, and ONNX), fresh stores each run.

    ``recipes``: also time ``newsbot ingest`` with each of these ``NEWSBOT_CHUNK_VECTORS`` values (the plain
    ``newsbot ingest`` row runs with the environment's setting).
    """
    root = Path(__file__).resolve().parent.parent

    def fresh() -> Path:
        folder = work_dir / f"ingest-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        return folder

    def run(args_for: Any, extra: dict[str, str] | None = None) -> float:
        folder = fresh()
        try:
            env = _env(folder, "ingest_cmd") | {"PYTHONPATH": str(root)} | (extra or {})
            return timed_command(args_for(folder), env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    recipe = [sys.executable, "-m", "eval.recipe", str(articles_dir)]
    commands: dict[str, Any] = {
        "newsbot ingest": lambda: run(lambda _f: [newsbot, "ingest", str(articles_dir)])
    }
    for vectors in recipes:
        commands[f"newsbot ingest, NEWSBOT_CHUNK_VECTORS={vectors}"] = partial(
            run, lambda _f: [newsbot, "ingest", str(articles_dir)], {"NEWSBOT_CHUNK_VECTORS": vectors}
        )
    if _installed("llama_index.embeddings.huggingface"):
        commands["recipe (torch model)"] = lambda: run(
            lambda f: [*recipe, str(f / "recipe"), "--model", "torch"]
        )
    commands["recipe (onnx model)"] = lambda: run(lambda f: [*recipe, str(f / "recipe"), "--model", "onnx"])
    runs = _alternate(commands, repeats)
    result = _summary(runs, "newsbot ingest")
    articles = len(list(articles_dir.iterdir()))
    for name, values in runs.items():
        result[name]["articles_per_s"] = round(articles / median(values), 2)
    return result
