"""Cold start: ``newsbot ask`` from process start to answer, ``newsbot serve`` to ready, and where time goes.

``serve`` is "ready" when it first polls for updates: a loopback stand-in for the Bot API answers
``getMe``/``deleteWebhook``/… and notes the time of the first ``getUpdates``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.bench_commands import cold_ask_vs_bare_import
from eval.bench_measure import median, stop

if TYPE_CHECKING:
    from retrieval import Settings

QUESTION = "Who is the president of Finland?"
FAKE_TOKEN = "123456:bench-token"

# Run in a fresh interpreter: the same steps `newsbot ask` takes, each timed, with the collector paused
# as the command pauses it.
_BREAKDOWN = r"""
import json, sys, time
t0 = time.perf_counter(); marks = {}
def mark(name):
    marks[name] = round(time.perf_counter() - t0, 3)
import retrieval.cli; mark("import retrieval.cli (typer, rich, settings)")
from retrieval.collector import loading
with loading():
    import onnxruntime, tokenizers; mark("import onnxruntime + tokenizers")
    import llama_index.core; mark("import llama_index.core")
    import chromadb; mark("import chromadb")
    from retrieval import Settings, build_engine, open_index
    from retrieval.answering.spans import entities
    from retrieval.embeddings import shared_model
    model = shared_model(); mark("load embedding model")
    index = open_index(Settings(), embed_model=model); mark("open Chroma store")
    index.search(sys.argv[1], k=5); mark("first search (BM25 load/build, model warm-up)")
    entities([sys.argv[1]]); mark("entity model (spaCy import + load)")
    engine = build_engine(Settings(), index); engine.ask(sys.argv[1]); mark("first ask")
print(json.dumps(marks))
"""


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_LLM_")}
    env.update(
        NEWSBOT_DATA_DIR=str(settings.data_dir),
        NEWSBOT_COLLECTION=settings.collection,
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        **extra,
    )
    return env


def newsbot_bin() -> str:
    """The ``newsbot`` console script of this interpreter's environment."""
    return str(Path(sys.executable).parent / "newsbot")


def _run(args: list[str], env: dict[str, str], timeout_s: float = 300) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-500:]}")
    return seconds, done.stdout


def import_time_top(module: str, top: int = 12) -> list[tuple[str, float]]:
    """The slowest imports (cumulative ms) of ``python -X importtime -c 'import module'``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    rows: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if len(name) - len(name.lstrip()) <= 2:  # top-level imports of the module only
                rows.append((name.strip(), int(parts[1]) / 1000))
    return sorted(rows, key=lambda r: -r[1])[:top]


class _FakeBotApi(BaseHTTPRequestHandler):
    first_poll: float | None = None

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        result: Any = True
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "bench", "username": "bench_bot",
                      "can_join_groups": True, "can_read_all_group_messages": False,
                      "supports_inline_queries": False}  # fmt: skip
        elif method == "getUpdates":
            if _FakeBotApi.first_poll is None:
                _FakeBotApi.first_poll = time.perf_counter()
            result = []
            time.sleep(0.2)
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # serve stopped mid-poll
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


def serve_to_ready(settings: Settings, timeout_s: float = 120) -> float:
    """Seconds from starting ``newsbot serve`` to its first ``getUpdates`` call."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeBotApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _FakeBotApi.first_poll = None
    url = f"http://127.0.0.1:{server.server_address[1]}/bot"
    env = _env(settings, TELEGRAM_BOT_TOKEN=FAKE_TOKEN, NEWSBOT_TELEGRAM_BASE_URL=url)
    env.pop("NEWSBOT_WEBHOOK_URL", None)
    start = time.perf_counter()
    process = subprocess.Popen(
        [newsbot_bin(), "serve", "--log-level", "WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while _FakeBotApi.first_poll is None:
            if process.poll() is not None:
                raise RuntimeError(
                    f"newsbot serve exited early: {process.stderr.read()[-500:] if process.stderr else ''!r}"
                )
            if time.perf_counter() - start > timeout_s:
                raise RuntimeError("newsbot serve did not poll for updates in time")
            time.sleep(0.02)
        return _FakeBotApi.first_poll - start
    finally:
        stop(process, timeout_s=15)
        server.shutdown()
        server.server_close()


def bench_cold(settings: Settings, repeats: int, out_dir: Path) -> dict[str, Any]:
    """Cold ``newsbot ask`` (or ``search`` until ``ask`` exists) and ``serve``; median over ``repeats``."""
    result: dict[str, Any] = {}
    command = "ask" if find_spec("retrieval.ask_cli") is not None else "search"
    env = _env(settings)
    runs = [_run([newsbot_bin(), command, QUESTION], env)[0] for _ in range(repeats)]
    result[f"newsbot {command}"] = {"median_s": round(median(runs), 2), "runs_s": [round(r, 2) for r in runs]}
    help_runs = [_run([newsbot_bin(), "--help"], env)[0] for _ in range(repeats)]
    result["newsbot --help"] = {"median_s": round(median(help_runs), 2)}
    result["ask vs bare import"] = cold_ask_vs_bare_import(
        newsbot_bin(), settings.data_dir, settings.collection, QUESTION, max(repeats, 3)
    )
    _, stdout = _run([sys.executable, "-c", _BREAKDOWN, QUESTION], env)
    result["breakdown_s"] = json.loads(stdout.strip().splitlines()[-1])
    result["importtime_retrieval_cli_ms"] = import_time_top("retrieval.cli")
    try:
        serve_runs = [serve_to_ready(settings) for _ in range(repeats)]
        result["newsbot serve"] = {
            "median_s": round(median(serve_runs), 2),
            "runs_s": [round(r, 2) for r in serve_runs],
        }
    except (RuntimeError, OSError) as exc:
        result["newsbot serve"] = {"error": str(exc)[:300]}
    return result
