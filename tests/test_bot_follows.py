"""bot/follow_store.py, bot/follow_handlers.py and bot/follows.py: the follows file (restarts, the bound),
the /follow commands, and the pushes after an ingest, through the recording Bot API transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot_support import Harness, bot_settings, fake_index, message, running_bot

from bot.access import AccessPolicy
from bot.follow_store import CLI_CHAT, FollowStore, answer_again
from bot.follows import JOB_NAME, check_follows
from bot.services import SERVICES_KEY, Services
from retrieval.follows import Fingerprint, fingerprint
from retrieval.types import Answer, ArticleMeta, Citation

ADMIN = 7
PELICANS = "How many pelicans landed in Helsinki harbour?"
SWEDEN = "Who leads the Social Democrats party?"
PELICAN_NEWS = "/ingest Pelicans in Helsinki\nA flock of 41 pelicans landed in Helsinki harbour on Monday."


def seen(quote: str) -> Fingerprint:
    meta = ArticleMeta("a1", "a.txt", "A")
    citation = Citation.of(1, meta, quote, 0, len(quote))
    found = fingerprint(Answer(question="q", text=f"{quote} [1]", citations=(citation,)))
    assert found is not None
    return found


# --- the store -------------------------------------------------------------------------------------------
def test_follows_survive_a_restart_with_what_each_chat_last_saw(tmp_path: Path) -> None:
    path = tmp_path / "follows.sqlite3"
    store = FollowStore(path)
    assert store.add(1, "Who leads Finland?", seen("Niinisto leads."), limit=10, user_id=1)[0] == "added"
    assert store.add(1, PELICANS, None, limit=10)[0] == "added"
    assert store.add(CLI_CHAT, "Who leads Sweden?", None, limit=10)[0] == "added"
    assert store.claim_check(7)
    store.finish_check(7, done=True)
    again = FollowStore(path)  # a new process on the same data dir
    first, second = again.following(1)
    assert (first.question, first.user_id, first.seen) == ("Who leads Finland?", 1, seen("Niinisto leads."))
    assert (second.question, second.seen) == (PELICANS, None)
    assert [f.question for f in again.chat_follows()] == ["Who leads Finland?", PELICANS]  # not the CLI's
    assert [f.question for f in again.following(CLI_CHAT)] == ["Who leads Sweden?"]
    assert again.checked_generation() == 7
    again.remember(first.follow_id, seen("Stubb leads."))
    assert FollowStore(path).following(1)[0].seen == seen("Stubb leads.")


def test_bot_processes_sharing_the_data_dir_check_each_index_generation_once(tmp_path: Path) -> None:
    one, two = FollowStore(tmp_path / "f.sqlite3"), FollowStore(tmp_path / "f.sqlite3")  # two processes
    assert one.claim_check(3)
    assert not two.claim_check(3)  # one is checking it
    one.finish_check(3, done=False)  # a push failed: not done
    assert two.claim_check(3)
    two.finish_check(3, done=True)
    assert not one.claim_check(3) and two.checked_generation() == 3  # told once
    assert two.claim_check(4, lease_s=0.0)  # ... and its process dies mid-check
    assert one.claim_check(4)  # the lease ran out: taken over
    one.finish_check(4, done=True)
    assert one.checked_generation() == 4


def test_each_chat_is_bounded_and_a_question_is_followed_once(tmp_path: Path) -> None:
    store = FollowStore(tmp_path / "follows.sqlite3")
    assert store.add(5, "One?", None, limit=2)[0] == "added"
    status, known = store.add(5, "  one? ", None, limit=2)
    assert status == "known" and known is not None and known.question == "One?"
    assert store.add(5, "Two?", None, limit=2)[0] == "added"
    assert store.add(5, "Three?", None, limit=2) == ("full", None)
    assert store.add(6, "Three?", None, limit=2)[0] == "added"  # another chat has its own room
    removed = store.remove(5, 1)
    assert removed is not None and removed.question == "One?"
    assert store.remove(5, 2) is None and store.remove(5, 0) is None
    assert [f.question for f in store.following(5)] == ["Two?"]
    assert store.remove_all(5) == 1 and store.following(5) == []
    assert [f.question for f in store.following(6)] == ["Three?"]


def test_answer_again_asks_each_distinct_question_once(tmp_path: Path) -> None:
    store = FollowStore(tmp_path / "follows.sqlite3")
    store.add(1, "Who?", None, limit=5)
    store.add(2, " who? ", None, limit=5)
    asked: list[str] = []

    def ask(question: str) -> Answer:
        asked.append(question)
        return Answer(question=question, text="nothing", abstained=True)

    rechecks = answer_again(store.chat_follows(), ask)
    assert asked == ["Who?"] and len(rechecks) == 2 and all(r.change is None for r in rechecks)


# --- the commands and the pushes -------------------------------------------------------------------------
@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = bot_settings(tmp_path, admins=[ADMIN], rate_limit_per_minute=100, follows_per_chat=2)
    async with running_bot(settings, fake_index(tmp_path)) as harness:
        yield harness


def found(bot: Harness) -> Services:
    services = bot.app.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services


async def test_follow_answers_now_and_following_and_unfollow_manage_the_list(bot: Harness) -> None:
    await bot.send(message("/follow"))
    await bot.send(message(f"/follow {SWEDEN}"))
    await bot.send(message(f"/follow {PELICANS}"))
    await bot.send(message("/follow Who is Finland's president?"))
    await bot.send(message(f"/follow {SWEDEN.upper()}", user_id=43))  # another chat: its own list
    usage, sweden, pelicans, full, other = bot.replies()
    assert "Send the question to follow after the command" in usage
    assert f"Following “{SWEDEN}”" in sweden and "Magdalena Andersson" in sweden and "[1]" in sweden
    assert "don't answer it yet" in pelicans
    assert "You already follow 2 questions" in full
    assert "Following" in other
    assert bot.engine.calls[0] == (SWEDEN, None)  # asked with no conversation: the question stands alone
    await bot.send(message(f"/follow   {SWEDEN.lower()}"))
    assert "You already follow “Who leads" in bot.replies()[-1]
    await bot.send(message("/following"))
    assert f"You follow 2 question(s):\n1. {SWEDEN}\n2. {PELICANS}" in bot.replies()[-1]
    for command in (
        "/unfollow",
        "/unfollow three",
        "/unfollow 3",
        "/unfollow 1",
        "/following",
        "/unfollow all",
    ):
        await bot.send(message(command))
    usage, words, missing, stopped, listed, all_gone = bot.replies()[-6:]
    assert "Say which one" in usage and "Say which one" in words
    assert "no followed question number 3" in missing
    assert stopped == f"Stopped following “{SWEDEN}”."
    assert f"1. {PELICANS}" in listed and SWEDEN not in listed
    assert all_gone == "Stopped following all 1 question(s)."
    await bot.send(message("/following"))
    assert "You don't follow any questions" in bot.replies()[-1]


async def test_an_ingest_that_answers_a_follow_pushes_what_changed_and_nothing_else_pushes(
    bot: Harness,
) -> None:
    await bot.send(message(f"/follow {PELICANS}"))
    await bot.send(message(f"/follow {SWEDEN}", user_id=43))
    assert await check_follows(bot.app) is not None  # first look at this index: everything answered again
    assert len(bot.request.sent()) == 2, "nothing changed yet: no push"
    await bot.send(message(PELICAN_NEWS, user_id=ADMIN))  # the admin's own ingest
    assert bot.app.job_queue is not None and bot.app.job_queue.get_jobs_by_name(f"{JOB_NAME}.now")
    assert await check_follows(bot.app) == bot.index.generation()
    pushes = [p for p in bot.request.sent() if p["chat_id"] == 42 and "Update on" in p["text"]]
    (push,) = pushes
    text = push["text"]
    assert f"Update on your followed question</b> “{PELICANS}”" in text
    assert "41 pelicans" in text and "[1]" in text and "<b>Sources</b>" in text
    assert "• new source: Pelicans in Helsinki" in text and "did not answer this before" in text
    assert not [p for p in bot.request.sent() if p["chat_id"] == 43 and "Update on" in p["text"]]
    sent = len(bot.request.sent())
    assert await check_follows(bot.app) is None  # the index did not change since: nothing answered
    await bot.send(message("/ingest Moose news\nA moose walked into a bank in Oulu.", user_id=ADMIN))
    assert await check_follows(bot.app) is not None
    assert len(bot.request.sent()) == sent + 1, "only the admin's confirmation: no push"


async def test_an_undelivered_push_is_tried_again_and_a_chat_off_the_allow_list_gets_none(
    bot: Harness,
) -> None:
    await bot.send(message(f"/follow {PELICANS}"))
    await bot.send(message(f"/follow {PELICANS}", user_id=43))
    await bot.send(message(PELICAN_NEWS, user_id=ADMIN))
    found(bot).access = AccessPolicy.from_ids([42], [ADMIN])  # chat 43 left the allow-list
    bot.request.fail_next("sendMessage", 502)
    await check_follows(bot.app)
    assert not [t for t in bot.request.texts() if "Update on" in t]
    await check_follows(bot.app)  # same generation, but a push is still owed
    pushed = [p["chat_id"] for p in bot.request.sent() if "Update on" in p["text"]]
    assert pushed == [42]
    await check_follows(bot.app)
    assert [p["chat_id"] for p in bot.request.sent() if "Update on" in p["text"]] == [42]


async def test_the_help_lists_the_follow_commands(tmp_path: Path) -> None:
    async with running_bot(bot_settings(tmp_path), fake_index(tmp_path)) as bot:
        await bot.send(message("/help"))
        assert "/follow" in bot.replies()[0] and "/unfollow" in bot.replies()[0]
        commands = [c["command"] for c in bot.request.sent("setMyCommands")[0]["commands"]]
        assert {"follow", "following", "unfollow"} <= set(commands)
