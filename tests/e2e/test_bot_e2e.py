"""End to end: ``newsbot serve`` as a real subprocess against the Telegram Bot API emulator, used as people
would use it: seed questions, follow-ups, commands, feedback, admin ingest, access control, 20 users at
once, a very long question, a restart that keeps conversations, webhooks, and a token that never leaks.
Tests run in file order and share one bot process (each uses its own users).

Needs node and ``telegram-test-api`` (``npm install --prefix .node telegram-test-api@4.2.1``, or point
``NEWSBOT_TG_NM`` at a node_modules folder). Without them the module is skipped, unless ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from emulator_client import BOT_USERNAME, EmulatorClient, joined

pytestmark = [pytest.mark.server, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EMULATOR_JS = Path(__file__).with_name("emulator.js")
TOKEN = "987654321:E2E-zq7Xw-RecognisableSecretToken"  # must never appear in any log
WEBHOOK_TOKEN = "987654322:E2E-hook-RecognisableSecretToken"
WEBHOOK_SECRET = "e2e-webhook-secret-zq7Xw"
ADMIN = 7001
GROUP = -4242
CROWD = list(range(2001, 2021))
ALLOWED = [ADMIN, GROUP, *range(2001, 2100)]
STRANGER = 999  # not on the allow-list
START_TIMEOUT_S = 240.0  # model load on a busy 2-core machine
SEED_QA = [  # from eval/questions.jsonl
    ("Who is the president of Finland?", "Niniisto"),
    ("Who is the prime minister of Sweden?", "Magdalena Andersson"),
    ("Who is the Secretary-General of NATO?", "Stoltenberg"),
    ("Who is Russia's deputy foreign minister?", "Ryabkov"),
]


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _newsbot() -> list[str]:
    script = Path(sys.executable).parent / "newsbot"
    return (
        [str(script)] if script.exists() else [sys.executable, "-c", "from retrieval.cli import main; main()"]
    )


@dataclass
class Process:
    """A subprocess whose output goes to a log file; always killed in teardown."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_dir: Path
    runs: int = 0
    proc: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self, ready: str, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start and wait until ``ready`` appears in the output."""
        self.runs += 1
        log = self.log_dir / f"{self.name}-{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = time.monotonic() + timeout_s
        while ready not in log.read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.output()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} not ready in {timeout_s} s:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None

    def output(self) -> str:
        """Everything every run of it printed."""
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """node_modules with telegram-test-api: $NEWSBOT_TG_NM or <repo>/.node/node_modules."""
    configured = os.environ.get("NEWSBOT_TG_NM")
    folder = Path(configured) if configured else ROOT / ".node" / "node_modules"
    if shutil.which("node") is None:
        _unavailable("node is not installed")
    if not (folder / "telegram-test-api").is_dir():
        _unavailable(
            f"telegram-test-api is not in {folder} (npm install --prefix .node telegram-test-api@4.2.1)"
        )
    return folder


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bot-e2e")


@pytest.fixture(scope="module")
def emulator(node_modules: Path, workdir: Path) -> Iterator[str]:
    """The emulator on a free loopback port; yields its URL."""
    port = _free_port()
    env = {**os.environ, "TG_NM": str(node_modules), "TG_PORT": str(port)}
    process = Process("emulator", ["node", str(EMULATOR_JS)], env, workdir)
    try:
        process.start("READY", timeout_s=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop(10)


def _bot_env(workdir: Path, emulator: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBOT_", "TELEGRAM_"))}
    return env | {
        "NEWSBOT_DATA_DIR": str(workdir / "data"),
        "NEWSBOT_COLLECTION": f"bot_e2e_{os.getpid()}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_BASE_URL": f"{emulator}/bot",
        "NEWSBOT_POLL_INTERVAL_S": "0.05",
        "NEWSBOT_ADMINS": str(ADMIN),
        "NEWSBOT_ALLOWED_CHATS": ",".join(map(str, ALLOWED)),
        "NEWSBOT_RATE_LIMIT_PER_MINUTE": "60",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@pytest.fixture(scope="module")
def bot(workdir: Path, emulator: str) -> Iterator[Process]:
    """The seeds ingested with ``newsbot ingest``, then ``newsbot serve`` polling the emulator."""
    env = _bot_env(workdir, emulator)
    ingest = subprocess.run(
        [*_newsbot(), "ingest", str(ROOT / "seeds")], env=env, cwd=ROOT, capture_output=True, timeout=300
    )
    (workdir / "ingest.log").write_bytes(ingest.stdout + ingest.stderr)
    assert ingest.returncode == 0, ingest.stderr.decode(errors="replace")[-3000:]
    process = Process("serve", [*_newsbot(), "serve", "--log-level", "DEBUG"], env, workdir)
    try:
        process.start("newsbot ready")
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def client(bot: Process, emulator: str) -> Iterator[EmulatorClient]:
    users = EmulatorClient(emulator, TOKEN)
    yield users
    users.close()


def _check_answer(messages: list, expected: str) -> str:  # type: ignore[type-arg]
    text = joined(messages)
    assert expected in text, text
    assert re.search(r"\[1\]", text) and "Sources" in text and "Quotes" in text, text
    assert [b[0] for b in messages[-1].buttons] == ["👍", "👎"]
    return text


def test_start_sources_and_help(client: EmulatorClient, workdir: Path) -> None:
    ingested = re.search(r"index: (\d+) articles, (\d+) chunks", (workdir / "ingest.log").read_text())
    assert ingested, "newsbot ingest did not report its counts"
    articles, chunks = ingested.groups()
    client.send(2001, "/start")
    start = client.reply(2001).text
    assert f"I have read {articles} news articles" in start and "Examples" in start
    client.send(2001, "/sources")
    sources = client.reply(2001).text
    assert f"I know {articles} articles ({chunks} passages)" in sources, sources
    assert len(re.findall(r"^\d+\. .+ · \d+ passages$", sources, re.M)) == int(articles), sources
    client.send(2001, "/help")
    assert "/reset" in client.reply(2001).text
    assert client.bot_calls("setMyCommands"), "the command menu was registered"


def test_seed_questions_get_cited_answers(client: EmulatorClient) -> None:
    for question, expected in SEED_QA[:3]:
        _check_answer(client.ask(2002, question), expected)
    typing = client.bot_calls("sendChatAction")
    assert any(c.get("chat_id") == "2002" and c.get("action") == "typing" for c in typing)
    seen = client.wait_call("setMessageReaction", lambda c: int(c["chat_id"]) == 2002)
    assert seen["reaction"] == [{"type": "emoji", "emoji": "👀"}]
    assert client.bot_calls("sendMessageDraft") == [], "extractive answers come whole, never as drafts"


def test_follow_up_then_reset(client: EmulatorClient) -> None:
    _check_answer(client.ask(2003, "Who is Sweden's prime minister?"), "Magdalena Andersson")
    follow = joined(client.ask(2003, "What would she refuse to allow on Swedish soil?"))
    assert "nuclear weapons" in follow and "Understood as:" in follow, follow
    client.send(2003, "/reset")
    assert "forgotten" in client.reply(2003).text
    after = joined(client.ask(2003, "What would she refuse to allow on Swedish soil?"))
    assert "Understood as:" not in after


def _labels(client: EmulatorClient, message_id: int) -> list[str]:
    message = next(m for m in client.history() if m.message_id == message_id)
    return [label for label, _ in message.buttons]


def test_thumbs_up_is_stored_and_exported(client: EmulatorClient, bot: Process) -> None:
    answer = client.ask(2004, "Who is the director of the Transatlantic Security Initiative?")
    last = answer[-1]
    up = next(data for label, data in last.buttons if label == "👍")
    client.tap(2004, last, up)
    deadline = time.monotonic() + 30
    while _labels(client, last.message_id) != ["👍 ✓", "👎"]:
        assert time.monotonic() < deadline, "the 👍 was not ticked"
        time.sleep(0.1)
    assert any(c.get("text") == "Thanks for the feedback!" for c in client.bot_calls("answerCallbackQuery"))
    exported = subprocess.run(
        [*_newsbot(), "feedback"], env=bot.env, capture_output=True, timeout=120, cwd=ROOT
    )
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.decode().splitlines()]
    (row,) = [r for r in rows if r["question"].startswith("Who is the director of the Transatlantic")]
    assert row["vote"] == "up" and row["citations"] and "Skaluba" in row["answer"]


def test_non_admin_ingest_is_refused(client: EmulatorClient) -> None:
    client.send(2005, "/ingest Moose news\nA moose walked into a bank in Oulu.")
    assert "only the bot's admins can add articles" in client.reply(2005).text
    client.send_document(2005, "moose.txt", b"Moose news\nA moose walked into a bank in Oulu.\n")
    assert "only the bot's admins can add articles" in client.reply(2005).text


def test_admin_document_is_ingested_then_answered(client: EmulatorClient) -> None:
    article = (
        b"Reindeer census in Lapland\n"
        b"The 2022 reindeer census in Lapland counted 187,000 reindeer, the herders' association said.\n"
        b"Herders blamed the mild winter for a smaller number of calves.\n"
    )
    client.send_document(ADMIN, "reindeer-census.txt", article)
    assert client.reply(ADMIN).text.startswith("Added reindeer-census.txt")
    client.send_document(ADMIN, "reindeer-census.txt", article)
    assert "already have reindeer-census.txt" in client.reply(ADMIN).text
    text = _check_answer(client.ask(2006, "How many reindeer did the census in Lapland count?"), "187,000")
    assert "Reindeer census in Lapland" in text


def test_chat_not_on_the_allow_list_is_refused(client: EmulatorClient) -> None:
    client.send(STRANGER, "Who is the president of Finland?")
    assert client.reply(STRANGER).text == "Sorry, this bot is private and not available in this chat."


def test_group_answers_only_when_addressed(client: EmulatorClient) -> None:
    client.send(2007, "Who is the Secretary-General of NATO?", chat_id=GROUP)
    assert client.quiet(GROUP, 1.5) == []
    mention = f"@{BOT_USERNAME} who is the Secretary-General of NATO?"
    client.send(2007, mention, chat_id=GROUP, entities=[{"type": "mention", "offset": 0, "length": 12}])
    _check_answer(client.answer(GROUP), "Stoltenberg")
    client.send(2008, f"/ask@{BOT_USERNAME} Who is the president of Finland?", chat_id=GROUP)
    _check_answer(client.answer(GROUP), "Niniisto")


def test_twenty_users_at_once(client: EmulatorClient) -> None:
    asked = {user: SEED_QA[i % len(SEED_QA)] for i, user in enumerate(CROWD)}
    with ThreadPoolExecutor(len(CROWD)) as pool:
        list(pool.map(lambda u: client.send(u, asked[u][0]), CROWD))
    for user in CROWD:
        _check_answer(client.answer(user, timeout_s=180), asked[user][1])


def test_five_thousand_character_question(client: EmulatorClient) -> None:
    question = "Who is the president of Finland? " + "Thanks a lot in advance for your kind help. " * 120
    assert len(question) >= 5000
    answer = client.ask(2021, question[:5000])
    text = joined(answer)  # the emulator refuses messages over 4096 characters, so these fit
    assert "Your message was long: I read its first 2000 characters" in text
    assert "Niniisto" in text and "[1]" in text and answer[-1].buttons, text


def test_flood_control_and_network_errors_are_survived(client: EmulatorClient) -> None:
    client.inject("sendMessage", 429, retry_after=1)
    client.inject("sendMessage", 502)
    _check_answer(client.ask(2022, "Who is Russia's deputy foreign minister?"), "Ryabkov")


def test_photo_gets_a_short_explanation(client: EmulatorClient) -> None:
    client.send(2023, photo=[{"file_id": "p1", "file_unique_id": "p1", "width": 1, "height": 1}])
    assert client.reply(2023).text == "I can only read text. Please type your question."


def test_restart_keeps_the_conversation_and_webhooks_work(
    client: EmulatorClient, bot: Process, workdir: Path, emulator: str
) -> None:
    """SIGTERM stops the polling bot cleanly; a new process (in webhook mode, to spend one model load on
    both checks) on the same data dir continues the chat's conversation."""
    _check_answer(client.ask(2024, "Who is NATO's Secretary-General?"), "Stoltenberg")
    assert bot.stop() == 0, "SIGTERM should stop the bot cleanly"
    assert "newsbot stopped" in bot.output()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    env = _bot_env(workdir, emulator, TELEGRAM_BOT_TOKEN=WEBHOOK_TOKEN, NEWSBOT_WEBHOOK_URL=url,
                   NEWSBOT_WEBHOOK_LISTEN="127.0.0.1", NEWSBOT_WEBHOOK_PORT=str(port),
                   NEWSBOT_WEBHOOK_SECRET=WEBHOOK_SECRET)  # fmt: skip
    hooked = Process("webhook", [*_newsbot(), "serve", "--log-level", "DEBUG"], env, workdir)
    users = EmulatorClient(emulator, WEBHOOK_TOKEN)
    try:
        hooked.start("newsbot ready")
        assert "via webhook" in hooked.output()
        follow = joined(users.ask(2024, "Where did he hold his press conference?"))
        # the new process read "he" from the conversation the old one kept (whether the articles answer the
        # follow-up is the eval's business: seeds conv-02)
        assert "Understood as:" in follow and "Stoltenberg" in follow, follow
        forged = httpx.post(url, json={"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "hi",
                            "chat": {"id": 2026, "type": "private"}}}, timeout=10)  # fmt: skip
        assert forged.status_code == 403  # no secret header: refused
        assert hooked.stop() == 0
    finally:
        hooked.stop()
        users.close()
        bot.logs.extend(hooked.logs)


def test_token_never_logged(bot: Process, workdir: Path) -> None:
    logs = bot.output() + (workdir / "ingest.log").read_text(errors="replace")
    assert "newsbot ready" in logs and "getUpdates" in logs  # DEBUG logging was really on
    for secret in (TOKEN, WEBHOOK_TOKEN, WEBHOOK_SECRET):
        assert secret not in logs
        assert secret.split(":")[-1] not in logs
