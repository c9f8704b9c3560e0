"""Helpers for the retrieval tests: corpus builders, store inspection, failure seams, a Chroma server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from retrieval import Settings
from retrieval.store import ChunkStore

BIN_DIR = Path(sys.executable).parent

# Three short articles with dates and sources, for date and source filters (.jsonl records).
DATED_RECORDS: list[dict[str, Any]] = [
    {
        "id": "tram",
        "title": "Riverside tram line opens",
        "text": "The new riverside tram line carried its first passengers on Tuesday.\n"
        "Trams will run every six minutes between the harbour and the university.",
        "url": "https://example.org/tram",
        "published": "2021-03-02",
        "source": "Metro Gazette",
    },
    {
        "id": "orchard",
        "title": "Frost damages apple orchards",
        "text": "A late frost damaged apple blossom across the valley orchards.\n"
        "Growers expect the harvest to be a third smaller than last year.",
        "published": "2022-04-20T06:15:00Z",
        "source": "Valley Farmer",
    },
    {
        "id": "library",
        "title": "Library extends opening hours",
        "text": "The central library will stay open until midnight during the exam season.\n"
        "Students asked for quiet study space late in the evening.",
        "url": "https://example.org/library",
        "published": "2023-01-09",
        "source": "Metro Gazette",
    },
]


# A realistic news page: the article plus navigation and footer boilerplate that must not be kept.
HTML_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Harbour city opens floating solar farm | Coastal Herald</title>
  <meta property="og:title" content="Harbour city opens floating solar farm">
  <meta property="og:url" content="https://coastal-herald.example/news/2023/floating-solar-farm">
  <link rel="canonical" href="https://coastal-herald.example/news/2023/floating-solar-farm">
  <meta property="article:published_time" content="2023-06-14T08:30:00+00:00">
  <meta property="og:site_name" content="Coastal Herald">
</head>
<body>
  <header>
    <nav><ul>
      <li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li>
      <li><a href="/subscribe">Subscribe to our newsletter today</a></li>
    </ul></nav>
  </header>
  <main>
    <article>
      <h1>Harbour city opens floating solar farm</h1>
      <p>The port authority of Valmara switched on a floating solar farm in its disused eastern dock on
      Wednesday, the first installation of its kind on the country's coast.</p>
      <p>The array of 12,000 panels rests on plastic pontoons anchored to the dock floor and is expected to
      supply about a fifth of the electricity used by the harbour's cranes and refrigerated warehouses.</p>
      <p>Engineers said the cooler air above the water lets the panels run more efficiently than rooftop
      systems, while the shade they cast slows the growth of algae in the basin.</p>
      <p>“We had a dock nobody used and a power bill everybody complained about,” said harbour director
      Tomas Reyes. “Now one solves the other.”</p>
    </article>
  </main>
  <footer>
    <p>© 2023 Coastal Herald Media Group. All rights reserved.</p>
    <p><a href="/privacy">Privacy policy</a> · <a href="/cookies">Cookie settings</a></p>
  </footer>
</body>
</html>
"""

HEADLINE_TEXT = (
    "Council approves new cycle lanes\n"
    "The city council voted on Monday to build twelve kilometres of protected cycle lanes.\n"
    "Work starts in the spring.\n"
)


def write_jsonl(path: Path, records: Sequence[dict[str, Any]], extra_lines: Sequence[str] = ()) -> Path:
    """Write records as JSON lines (plus any raw lines, e.g. a malformed one) and return the path."""
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def copy_seeds(seeds_dir: Path, dest: Path) -> Path:
    """A private, writable copy of the seed articles."""
    shutil.copytree(seeds_dir, dest)
    return dest


def chunk_rows(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """Every chunk row physically in the store (committed or not), read with a fresh client view."""
    return list(ChunkStore(settings).iter_chunk_rows())


def chunks_per_article(settings: Settings) -> Counter[str]:
    """How many stored chunk rows each article id has."""
    return Counter(str(meta["article_id"]) for _, _, meta in chunk_rows(settings))


class FailingEmbedding:
    """Wraps a real embedding model; its ``fail_on``-th document batch raises (a crash mid-ingest)."""

    def __init__(self, model: Any, fail_on: int) -> None:
        self._model = model
        self._fail_on = fail_on
        self.batch_calls = 0

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        self.batch_calls += 1
        if self.batch_calls == self._fail_on:
            raise RuntimeError(f"embedding batch {self.batch_calls} failed")
        return self._model.get_text_embedding_batch(texts, **kwargs)  # type: ignore[no-any-return]

    def get_query_embedding(self, query: str) -> list[float]:
        return self._model.get_query_embedding(query)  # type: ignore[no-any-return]


def fail_on_call(original: Callable[..., Any], call_number: int, message: str) -> Callable[..., Any]:
    """Wrap a method so that its ``call_number``-th call raises instead of running."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == call_number:
            raise RuntimeError(message)
        return original(*args, **kwargs)

    return wrapper


def free_port() -> int:
    """A loopback TCP port nobody is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """A real ``chroma run`` process on loopback, started and stopped by the test."""

    def __init__(self, path: Path, port: int, log_path: Path) -> None:
        self.path = path
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_within_s: float = 60.0) -> None:
        """Start the server and wait (bounded) until its heartbeat answers."""
        executable = BIN_DIR / "chroma"
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(executable),
                    "run",
                    "--path",
                    str(self.path),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited early ({self.process.returncode}): {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run not ready within {ready_within_s} s: {self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (kill it if it does not exit) and wait for it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)

    def log_tail(self) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"


# --- newsbot processes ------------------------------------------------------------------------------------

NEWSBOT = BIN_DIR / "newsbot"


def newsbot_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``newsbot`` process using the index the settings name (no other NEWSBOT_*)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("NEWSBOT_")}
    env.update(
        NEWSBOT_DATA_DIR=str(settings.data_dir),
        NEWSBOT_COLLECTION=settings.collection,
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        COLUMNS="200",  # no wrapped lines in the summaries
    )
    if settings.chroma_host:
        env.update(NEWSBOT_CHROMA_HOST=settings.chroma_host, NEWSBOT_CHROMA_PORT=str(settings.chroma_port))
    env.update(extra)
    return env


def newsbot(settings: Settings, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Run ``newsbot ARGS`` to completion with the index the settings name."""
    return subprocess.run(
        [str(NEWSBOT), *args],
        env=newsbot_env(settings, **extra_env),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def seed_sentences(seeds_dir: Path) -> list[str]:
    """Every line of the seed articles that reads as a sentence."""
    lines = [
        line.strip() for path in sorted(seeds_dir.glob("*.txt")) for line in path.read_text().splitlines()
    ]
    return [line for line in lines if line.endswith(".") and len(line) > 40]


def write_dispatches(folder: Path, seeds_dir: Path, files: int, sentences_per_file: int) -> Path:
    """``files`` distinct articles recombined from seed sentences (about 6 chunks each at 18 sentences)."""
    import random

    folder.mkdir(parents=True, exist_ok=True)
    pool = seed_sentences(seeds_dir)
    for number in range(files):
        rng = random.Random(number)
        body = [rng.choice(pool) for _ in range(sentences_per_file)]
        (folder / f"dispatch-{number:03d}.txt").write_text(
            f"Dispatch {number} from the northern desk\n" + "\n".join(body) + "\n", encoding="utf-8"
        )
    return folder
