"""bot/access.py: the chat allow-list, admins, and the per-user rate limit."""

from __future__ import annotations

from bot.access import AccessPolicy, RateLimiter


def test_empty_allow_list_is_public() -> None:
    policy = AccessPolicy.from_ids([], [])
    assert policy.allows(123, 456) and policy.allows(-100, None)
    assert not policy.is_admin(456) and not policy.is_admin(None)


def test_allow_list_admits_listed_chats_and_admins_only() -> None:
    policy = AccessPolicy.from_ids([10, -20], [7])
    assert policy.allows(10, 99) and policy.allows(-20, 98)
    assert not policy.allows(11, 99)
    assert not policy.allows(None, None)
    assert policy.allows(11, 7)  # admins anywhere
    assert policy.is_admin(7) and not policy.is_admin(99)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_is_per_user_and_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(3, clock=clock)
    asked = []
    for _ in range(3):
        asked.append(limiter.wait_s(1))
        clock.now += 5
    assert asked == [0, 0, 0]
    assert limiter.wait_s(1) == 45  # the first question (at +0) leaves the window at +60; now is +15
    assert limiter.wait_s(2) == 0  # other users are unaffected
    clock.now += 45
    assert limiter.wait_s(1) == 0  # the first one left the window
    assert limiter.wait_s(1) == 5  # the second (at +5) is still in it


def test_refused_questions_do_not_count() -> None:
    clock = Clock()
    limiter = RateLimiter(1, clock=clock)
    assert limiter.wait_s(5) == 0
    for _ in range(10):
        clock.now += 5
        assert limiter.wait_s(5) > 0
    clock.now += 11  # 61 s after the only counted question
    assert limiter.wait_s(5) == 0
