"""An article's date when its metadata has none: from the dateline at the top of its text.

News copy states its date in the first lines: ``HELSINKI, May 15 (Reuters) -``, ``May 15, 2022``,
``15 May 2022``, ``2022-05-15``, ``Published: Sunday 15 May 2022``. Only the head of the text is read,
because a date further down is usually one the story talks about, not the day it was written.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

HEAD_CHARS = 400  # the dateline sits in the first lines; later dates are the story's, not the article's
HEAD_LINES = 4
MONTHS = {  # month names and abbreviations, lower case -> number
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>(?i:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r"))\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_WITH_YEAR = [
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)(?!\d)"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b"),
]
# "HELSINKI, May 15 (Reuters) -" / "LONDON, May 15 —": a place in capitals, then month and day, no year.
_DATELINE = re.compile(
    rf"^\s*[A-Z][A-Z .'’-]+(?:,\s*[A-Za-z .]+)?,\s+{_MONTH}\s+{_DAY}\b(?!,?\s+(?:19|20)\d\d)"
    r"\s*(?:\([^)]{1,40}\)\s*)?[-–—:]",
    re.MULTILINE,
)
_ANY_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 31 February, month 13
        return None


def _month_number(value: str) -> int:
    return int(value) if value.isdigit() else MONTHS[value.lower().rstrip(".")]


def _head(text: str) -> str:
    lines = [line for line in text[: HEAD_CHARS * 2].splitlines() if line.strip()][:HEAD_LINES]
    return "\n".join(lines)[:HEAD_CHARS]


def _year_for(month: int, day: int, text: str, reference: date | None) -> int | None:
    """The year of a yearless dateline: the year the article mentions most, else the reference's."""
    years = Counter(int(y) for y in _ANY_YEAR.findall(text[:20_000]))
    if years:
        return years.most_common(1)[0][0]
    if reference is None:
        return None
    # The latest such day not after the reference (a story dated "Dec 30" read on Jan 2 is last year's).
    candidate = _make(reference.year, month, day)
    return reference.year if candidate is None or candidate <= reference else reference.year - 1


def dateline_date(text: str, *, reference: date | None = None) -> date | None:
    """The date the head of ``text`` states, or None.

    A dateline without a year ("HELSINKI, May 15 (Reuters) -") takes the year the article mentions most,
    else the latest such day not after ``reference`` (when the file was written or the page fetched).
    """
    head = _head(text)
    found = []
    for pattern in _WITH_YEAR:
        for match in pattern.finditer(head):
            made = _make(int(match["year"]), _month_number(match["month"]), int(match["day"]))
            if made is not None:
                found.append((match.start(), made))
    if found:
        return min(found)[1]  # the first date stated
    dateline = _DATELINE.search(head)
    if dateline is None:
        return None
    month, day = _month_number(dateline["month"]), int(dateline["day"])
    year = _year_for(month, day, text, reference)
    return _make(year, month, day) if year else None


_SPOKEN_DAY = [  # a day a sentence names: "Nov. 12", "12th November", "November 21 of 1998", "Thursday, Nov. 12, 2020"
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s+(?:of\s+)?{_YEAR}\b)?"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+{_YEAR}\b)?"),
]


def named_day(text: str, *, reference: date | None = None) -> date | None:
    """The one day ``text`` names, with a month and a day of the month; None when it names none or several.

    A day without a year takes the year that puts it nearest ``reference`` (the day the article was
    published: "premieres on Nov. 12", written in September 2020, is 12 November 2020); without a
    reference it has no year, and None is returned.
    """
    days: set[date] = set()
    for pattern in _SPOKEN_DAY:
        for match in pattern.finditer(text):
            month, day = _month_number(match["month"]), int(match["day"])
            if match["year"]:
                made = _make(int(match["year"]), month, day)
            elif reference is None:
                return None
            else:
                near = [_make(reference.year + k, month, day) for k in (-1, 0, 1)]
                made = min((d for d in near if d), key=lambda d: abs(d - reference), default=None)
            if made is not None:
                days.add(made)
    return days.pop() if len(days) == 1 else None
