"""Who may use the bot (allow-list), who may add articles (admins), and how often one may ask (rate limit)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessPolicy:
    """Chat allow-list (empty: public) and admin user ids; admins are allowed everywhere."""

    allowed_chats: frozenset[int] = frozenset()
    admins: frozenset[int] = frozenset()

    @classmethod
    def from_ids(cls, allowed_chats: Iterable[int], admins: Iterable[int]) -> AccessPolicy:
        """Build a policy from the id lists in Settings."""
        return cls(frozenset(allowed_chats), frozenset(admins))

    def allows(self, chat_id: int | None, user_id: int | None) -> bool:
        """True when this user in this chat may talk to the bot."""
        if not self.allowed_chats or self.is_admin(user_id):
            return True
        return chat_id in self.allowed_chats

    def is_admin(self, user_id: int | None) -> bool:
        """True when this user may add articles."""
        return user_id is not None and user_id in self.admins


class RateLimiter:
    """At most ``per_minute`` questions per user in any sliding 60-second window (per bot process)."""

    window_s = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._asked: dict[int, deque[float]] = {}

    def wait_s(self, user_id: int) -> float:
        """0 and counts the question when the user may ask now; otherwise the seconds to wait."""
        now = self._clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and asked[0] <= now - self.window_s:
            asked.popleft()
        if len(asked) >= self.per_minute:
            return asked[0] + self.window_s - now
        asked.append(now)
        if len(self._asked) > 10_000:  # forget idle users so memory stays bounded
            self._asked = {u: q for u, q in self._asked.items() if q and q[-1] > now - self.window_s}
        return 0.0
