"""End to end: people follow questions in Telegram (``newsbot serve`` against the Bot API emulator, real
model and Chroma), then articles arrive: from a second process (a cron ``newsbot ingest``) and from the
admin in the chat. A chat is messaged when, and only when, its answer changed, with what changed.

Uses the emulator set-up of ``test_bot_e2e`` (its own emulator and bot process; skipped without node).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_bot_e2e as shared
from emulator_client import EmulatorClient

pytestmark = [pytest.mark.server, pytest.mark.slow]

node_modules = shared.node_modules  # the fixtures, one emulator per module
workdir = shared.workdir
emulator = shared.emulator
FOLLOWER = 2095  # on the allow-list of shared._bot_env
BYSTANDER = 2096
REINDEER = "How many reindeer did the census in Lapland count?"
FINLAND = "Who is the president of Finland?"
CHECKED = "follows checked at index generation"
CENSUS = (
    "Reindeer census in Lapland\n"
    "The 2022 reindeer census in Lapland counted 187,000 reindeer, the herders' association said.\n"
    "Herders blamed the mild winter for a smaller number of calves.\n"
)
RECOUNT = (
    b"Reindeer numbers recover in Lapland\n"
    b"The 2023 reindeer census in Lapland counted 192,000 reindeer, up from 187,000 a year earlier.\n"
    b"A cold, snowy winter helped more calves survive.\n"
)


@pytest.fixture(scope="module")
def bot(workdir: Path, emulator: str) -> Iterator[shared.Process]:
    """The seeds ingested, then ``newsbot serve`` looking for a changed index every second."""
    env = shared._bot_env(
        workdir,
        emulator,
        NEWSBOT_COLLECTION="bot_follow_e2e",
        NEWSBOT_DATA_DIR=str(workdir / "follow-data"),
        NEWSBOT_FOLLOW_CHECK_INTERVAL_S="1",
        NEWSBOT_FOLLOWS_PER_CHAT="2",
    )
    ingest = newsbot_ingest(env, shared.ROOT / "seeds")
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    process = shared.Process("serve-follow", [*shared._newsbot(), "serve"], env, workdir)
    try:
        process.start("newsbot ready")
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def client(bot: shared.Process, emulator: str) -> Iterator[EmulatorClient]:
    users = EmulatorClient(emulator, shared.TOKEN)
    yield users
    users.close()


def newsbot_ingest(env: dict[str, str], path: Path) -> subprocess.CompletedProcess[str]:
    """``newsbot ingest PATH`` in its own process, as a cron job would run it."""
    return subprocess.run(
        [*shared._newsbot(), "ingest", str(path)],
        env=env,
        cwd=shared.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_for_log(process: shared.Process, text: str, count: int, timeout_s: float = 120.0) -> str:
    """Wait until ``text`` has appeared ``count`` times in the bot's log; the line of its last appearance."""
    deadline = time.monotonic() + timeout_s
    while process.output().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not logged {count} times:\n{process.output()[-3000:]}"
        time.sleep(0.2)
    return [line for line in process.output().splitlines() if text in line][count - 1]


def wait_for_check(process: shared.Process, after: int, wanted: str, timeout_s: float = 120.0) -> str:
    """The first follow check logged after the first ``after`` ones that says ``wanted`` (a periodic check
    of the generation before may be logged in between)."""
    deadline = time.monotonic() + timeout_s
    while True:
        checks = [line for line in process.output().splitlines() if CHECKED in line][after:]
        found = [line for line in checks if wanted in line]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no check saying {wanted!r} after {after}:\n" + "\n".join(checks)
        time.sleep(0.2)


def test_follow_then_a_cron_ingest_pushes_what_changed_to_that_chat_only(
    client: EmulatorClient, bot: shared.Process, workdir: Path
) -> None:
    client.send(FOLLOWER, f"/follow {REINDEER}")
    assert "don't answer it yet" in client.reply(FOLLOWER).text
    client.send(BYSTANDER, f"/follow {FINLAND}")
    followed = client.reply(BYSTANDER).text
    assert f"Following “{FINLAND}”" in followed and "Niniisto" in followed and "[1]" in followed

    checks = bot.output().count(CHECKED)
    news = workdir / "follow-news"
    news.mkdir()
    (news / "reindeer-census.txt").write_text(CENSUS, encoding="utf-8")
    ingest = newsbot_ingest(bot.env, news)  # another process writes to the bot's index
    assert ingest.returncode == 0, ingest.stderr[-3000:]

    push = client.reply(FOLLOWER, timeout_s=120).text
    assert f"Update on your followed question “{REINDEER}”" in push
    assert "187,000" in push and "[1]" in push and "Sources" in push
    assert "new source: Reindeer census in Lapland" in push and "did not answer this before" in push
    wait_for_check(bot, checks, "2 answered again, 1 changed, 1 delivered")
    assert client.quiet(BYSTANDER, 1.0) == [], "the bystander's answer did not change"


def test_the_admins_ingests_push_only_a_real_change(client: EmulatorClient, bot: shared.Process) -> None:
    checks = bot.output().count(CHECKED)
    client.send(
        shared.ADMIN, "/ingest Moose news\nA moose walked into a bank in Oulu on Tuesday, staff said."
    )
    assert client.reply(shared.ADMIN).text.startswith("Added Moose news")
    line = wait_for_log(bot, CHECKED, checks + 1)
    assert "0 changed" in line, line
    assert client.quiet(FOLLOWER, 1.0) == [] and client.quiet(BYSTANDER, 0.1) == []

    client.send_document(shared.ADMIN, "reindeer-recount.txt", RECOUNT)
    assert client.reply(shared.ADMIN).text.startswith("Added reindeer-recount.txt")
    push = client.reply(FOLLOWER, timeout_s=120).text
    assert "192,000" in push and "new source: Reindeer numbers recover in Lapland" in push
    before = push.split("before:", 1)[1]
    assert "187,000" in before, push


def test_following_unfollow_and_the_bound(client: EmulatorClient) -> None:
    client.send(FOLLOWER, f"/follow {FINLAND}")
    assert "Niniisto" in client.reply(FOLLOWER).text
    client.send(FOLLOWER, "/follow Who is the prime minister of Sweden?")
    assert "You already follow 2 questions" in client.reply(FOLLOWER).text
    client.send(FOLLOWER, "/following")
    assert f"1. {REINDEER}\n2. {FINLAND}" in client.reply(FOLLOWER).text
    client.send(FOLLOWER, "/unfollow 1")
    assert client.reply(FOLLOWER).text == f"Stopped following “{REINDEER}”."
    client.send(FOLLOWER, "/following")
    listed = client.reply(FOLLOWER).text
    assert f"1. {FINLAND}" in listed and REINDEER not in listed
