"""Time in questions: "latest", "this week", "last month", "before May 15", read against a question's date.

A question is asked on a day (today, unless the caller or the eval says otherwise). Words that name a span
of time relative to that day, or bounded by a date ("before May 15", "since 1 June 2024", "as of July 3"),
become a window on the articles' published dates: only articles dated inside it can answer. Words that
ask for the newest state of things ("latest", "most recent", "currently") ask the ranking to prefer the
newest article among those that answer. "In 2021" is not a window: a question's year is usually the year
of the event, which a later article may report; it stays a constraint on the passage's text.

A relative word is read only in lower case (or opening the question): "Business Today" and "USA Today"
are names, not days.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from retrieval.dates import MONTHS as _MONTHS

_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH = rf"(?P<month>{_NAMES})\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
# A date after "before", "since", …: "May 15", "May 15, 2024", "15 May 2024", "May 2024", "2024-05-15".
_DATE = (
    rf"(?:(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b"
    rf"|(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<month2>{_NAMES})\.?"
    rf"(?:,?\s+(?P<year2>(?:19|20)\d\d))?\b"
    rf"|(?P<month3>{_NAMES})\.?\s+(?P<year3>(?:19|20)\d\d)\b)"
)
_BOUND = re.compile(
    rf"\b(?P<word>before|until|till|by|as of|after|since)\s+(?:the\s+)?{_DATE}", re.IGNORECASE
)
_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365}
_PAST_N = re.compile(
    r"\b(?:in|over|during)\s+the\s+(?:past|last)\s+(?P<n>\d{1,3}|two|three|four|five|six|seven|ten)\s+"
    r"(?P<unit>days|weeks|months|years)\b"
)
_WORD_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_RELATIVE = re.compile(
    r"\b(?P<phrase>today|yesterday|(?P<which>this|last|past)\s+(?P<unit>week|month|year))\b", re.IGNORECASE
)
_LATEST = re.compile(
    r"\b(latest|most recent(?:ly)?|newest|currently|current|right now|as of now|so far|to date|still)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimeScope:
    """When a question is asked, and which published dates can answer it."""

    asked_on: date
    start: date | None = None  # articles published on or after
    end: date | None = None  # articles published on or before
    latest: bool = False  # the newest state of things is asked for
    phrases: tuple[str, ...] = ()  # the words that set the window, as the user wrote them

    @property
    def phrase(self) -> str:
        """The window's words, for messages: "last week", "before May 15"."""
        return ", ".join(self.phrases)

    def without_phrases(self, text: str) -> str:
        """``text`` less the words that set the window: their dates say when it was published, not what."""
        for phrase in self.phrases:
            text = text.replace(phrase, " ")
        return " ".join(text.split())

    @property
    def window(self) -> bool:
        """True when only articles dated in a span of time can answer."""
        return self.start is not None or self.end is not None

    def holds(self, published: date | None) -> bool:
        """True when an article published on ``published`` lies in the window (undated ones never do)."""
        if not self.window:
            return True
        if published is None:
            return False
        return (self.start is None or published >= self.start) and (self.end is None or published <= self.end)


def _as_written(text: str, start: int) -> bool:
    """A relative word counts in lower case, or opening the question; capitalised mid-sentence it is a name."""
    return text[start].islower() or not text[:start].strip()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _named_date(match: re.Match[str], asked_on: date) -> tuple[date, date] | None:
    """The first and last day a written date covers (one day, or a whole month for "May 2024")."""
    try:
        if match["iso"]:
            day = date.fromisoformat(match["iso"])
            return day, day
        if match["month3"]:
            year, month = int(match["year3"]), _MONTHS[match["month3"].lower()]
            return date(year, month, 1), _month_end(year, month)
        month_name, day_text, year_text = (
            (match["month"], match["day"], match["year"])
            if match["month"]
            else (match["month2"], match["day2"], match["year2"])
        )
        month = _MONTHS[month_name.lower()]
        if year_text:
            day = date(int(year_text), month, int(day_text))
        else:  # "before May 15": the latest May 15 not after the day asked
            day = date(asked_on.year, month, int(day_text))
            if day > asked_on:
                day = date(asked_on.year - 1, month, int(day_text))
        return day, day
    except ValueError:  # 31 February
        return None


def _relative(which: str | None, unit: str | None, phrase: str, asked_on: date) -> tuple[date, date]:
    """The span "today", "yesterday", "this/last/past week|month|year" names, asked on ``asked_on``."""
    if phrase == "today":
        return asked_on, asked_on
    if phrase == "yesterday":
        day = asked_on - timedelta(days=1)
        return day, day
    if which == "past":
        return asked_on - timedelta(days=_UNITS[f"{unit}s"]), asked_on
    if unit == "week":
        monday = asked_on - timedelta(days=asked_on.weekday())
        if which == "this":
            return monday, asked_on
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if unit == "month":
        if which == "this":
            return asked_on.replace(day=1), asked_on
        last = asked_on.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if which == "this":
        return date(asked_on.year, 1, 1), asked_on
    return date(asked_on.year - 1, 1, 1), date(asked_on.year - 1, 12, 31)


Span = tuple[date | None, date | None]  # first and last published day; None: open on that side


def _narrowed(scope: Span, start: date | None, end: date | None) -> Span:
    """``scope`` cut to what also lies within ``start``–``end``."""
    lower, upper = scope
    if start is not None:
        lower = start if lower is None else max(lower, start)
    if end is not None:
        upper = end if upper is None else min(upper, end)
    return lower, upper


def time_scope(question: str, asked_on: date) -> TimeScope:
    """The window and the wish for the newest that ``question``, asked on ``asked_on``, states."""
    span: Span = (None, None)
    phrases: list[str] = []
    for match in _RELATIVE.finditer(question):
        if not _as_written(question, match.start()):
            continue
        phrase = match["phrase"].lower()
        which = match["which"].lower() if match["which"] else None
        unit = match["unit"].lower() if match["unit"] else None
        span = _narrowed(span, *_relative(which, unit, phrase, asked_on))
        phrases.append(match["phrase"])
    for match in _PAST_N.finditer(question.lower()):
        n = match["n"]
        count = int(n) if n.isdigit() else _WORD_NUMBERS[n]
        span = _narrowed(span, asked_on - timedelta(days=count * _UNITS[match["unit"]]), asked_on)
        phrases.append(question[match.start() : match.end()])
    for match in _BOUND.finditer(question):
        named = _named_date(match, asked_on)
        if named is None:
            continue
        first, last = named
        word = match["word"].lower()
        if word == "before":
            span = _narrowed(span, None, first - timedelta(days=1))
        elif word in ("until", "till", "by", "as of"):
            span = _narrowed(span, None, last)
        elif word == "after":
            span = _narrowed(span, last + timedelta(days=1), None)
        else:  # since
            span = _narrowed(span, first, None)
        phrases.append(match.group())
    # "How many acres had burned by July 5?" asks for the state of things then: the newest report before it
    latest = span[1] is not None or any(_as_written(question, m.start()) for m in _LATEST.finditer(question))
    return TimeScope(asked_on, span[0], span[1], latest, tuple(phrases))


def spoken(day: date) -> str:
    """``16 May 2022``."""
    return f"{day.day} {day:%B %Y}"
