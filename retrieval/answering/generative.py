"""The generative composer: a language model writes the answer, the passages' own words back every claim.

    hits ─ numbered passages ─ SYSTEM + USER prompt ─ JSON reply ─ quotes located in the hits ─ Draft
                                                                     │ no claim has a located quote
                                                                     └── LLMError: the engine answers
                                                                         extractively instead

The model is asked for ``{"answerable", "answer", "quotes": [{"passage", "quote"}]}``. Each quote is looked
up in the text of the passage it names: verbatim, or ignoring differences in whitespace, typographic quote
marks, dashes and case, and then cut from the article at its exact offsets, so a citation always quotes the
article as written. A claim (the text up to a group of ``[n]`` markers) keeps a marker only when the quote
for passage n that shares most words with the claim was located; a claim left with no marker is dropped,
and the answer is trimmed to whole claims.

A streaming copy (:meth:`GenerativeComposer.streaming`) shows the answer while the model writes it; what it
returns passes the same checks, so the answer is the same as without streaming.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from copy import copy
from dataclasses import dataclass, replace
from typing import Any

from retrieval import prompts
from retrieval.answering.compose import Draft
from retrieval.answering.decide import Decision
from retrieval.answering.evidence import Evidence
from retrieval.answering.params import load_params
from retrieval.answering.query import Query
from retrieval.answering.stream import AnswerStream, TextCallback
from retrieval.answering.when import spoken
from retrieval.config import Settings
from retrieval.conversation import Conversation, content_words
from retrieval.errors import LLMError
from retrieval.llm import ChatClient
from retrieval.sentences import sentence_spans
from retrieval.types import ArticleMeta, Citation, Hit

MAX_ANSWER_CHARS = load_params().max_answer_chars

log = logging.getLogger(__name__)
MIN_QUOTE_CHARS = 4  # shorter "quotes" ("the", "NATO") would match almost anywhere and back nothing
MAX_ABSTAIN_CHARS = 200  # a longer "I can't answer" is rambling (or leaking); the canned sentence is used
MAX_CONDENSED_CHARS = 400
MAX_REPLY_CHARS = 20_000  # far beyond a short answer; bounds the work spent reading a runaway reply
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)  # reasoning models' preamble
_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)
_MARKER_GROUP = re.compile(r"\[\s*(?:passages?\s*)?(\d{1,3}(?:\s*[,;]\s*(?:passage\s*)?\d{1,3})*)\s*\]", re.I)
_MARKER = re.compile(r"\[(\d{1,3})\]")
_CLAIM = re.compile(r"(.*?)((?:\s*\[\d{1,3}\])+)([.!?;:,]*)", re.DOTALL)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")
_CONDENSE_PREFIX = re.compile(r"^(?:standalone|rewritten|last)?\s*question\s*:\s*", re.IGNORECASE)
_FOLD = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛`´", "'"),
        **dict.fromkeys("“”„‟«»", '"'),
        **dict.fromkeys("–—‐‑−", "-"),
        "…": "...",
    }
)


@dataclass(frozen=True)
class ModelReply:
    """What the model said, as far as it could be read."""

    answerable: bool
    answer: str
    quotes: tuple[tuple[int, str], ...]  # (passage number, quote) in the model's order


def passage_label(article: ArticleMeta) -> str:
    """What the model is told of a passage's article: its title, source and date, as far as known."""
    parts = [one_line(article.title)]
    if article.source:
        parts.append(one_line(article.source))
    if article.published:
        parts.append(f"published {spoken(article.published)}")
    return "; ".join(parts)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace turned into one space."""
    return " ".join(text.split())


def parse_reply(content: str) -> ModelReply:
    """The first JSON object with an ``answer`` or ``answerable`` field in ``content`` (fences allowed)."""
    text = _THINK.sub("", content[:MAX_REPLY_CHARS])
    decoder = json.JSONDecoder()
    for candidate in [*(m.group(1) for m in _FENCE.finditer(text)), text]:
        for start in (i for i, char in enumerate(candidate) if char == "{"):
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and ("answer" in value or "answerable" in value):
                return ModelReply(
                    _truthy(value.get("answerable", True)), _text(value.get("answer")), _quotes(value)
                )
    raise LLMError("The language model's reply was not the JSON answer it was asked for.")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "no", "0", "")
    return bool(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _passage_number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = re.search(r"\d{1,3}", value) if isinstance(value, str) else None
    return int(found.group()) if found else None


def _quotes(reply: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    """(passage, quote) pairs from a list of objects or a ``{"n": quote or [quotes]}`` mapping."""
    raw = reply.get("quotes", reply.get("citations"))
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            pairs.extend((key, v) for v in (value if isinstance(value, list) else [value]))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                number = next((item[k] for k in ("passage", "n", "id", "source") if k in item), None)
                pairs.append((number, item.get("quote", item.get("text"))))
    found = []
    for number, quote in pairs:
        n = _passage_number(number)
        if n is not None and isinstance(quote, str) and quote.strip():
            found.append((n, quote))
    return tuple(found)


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace collapsed, quote marks and dashes made plain and lower-cased, plus for each
    character of the result the index of the character of ``text`` it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            folded = " "
        else:
            folded = char.translate(_FOLD).lower()
        chars.extend(folded)
        origin.extend([i] * len(folded))
    return "".join(chars), origin


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where ``quote`` stands in ``text``: verbatim, else modulo whitespace, quote marks, dashes and case."""
    folded_text, origin = _folded(text)
    for variant in _variants(quote):
        if len(variant) < MIN_QUOTE_CHARS:
            continue
        start = text.find(variant)
        if start >= 0:
            return start, start + len(variant)
        folded_quote = _folded(variant)[0]
        at = folded_text.find(folded_quote)
        if at >= 0:
            return origin[at], origin[at + len(folded_quote) - 1] + 1
    return None


def _variants(quote: str) -> Iterator[str]:
    """The quote as given, without wrapping quote marks, then its longest piece between ellipses."""
    stripped = quote.strip()
    yield stripped
    unwrapped = stripped.strip("\"'“”‘’ ")
    if unwrapped != stripped:
        yield unwrapped
    pieces = [p for p in _ELLIPSIS.split(unwrapped) if p]
    if len(pieces) > 1:
        yield max(pieces, key=len)


def _citation(n: int, hit: Hit, span: tuple[int, int]) -> Citation:
    start, end = span
    return Citation.of(n, hit.article, hit.text[start:end], hit.start_char + start, hit.start_char + end)


@dataclass(frozen=True)
class Quote:
    """One quote the model gave for a passage, and its citation if it was found in that passage."""

    passage: int
    text: str
    found: Citation | None


def located(reply: ModelReply, hits: Sequence[Hit]) -> list[Quote]:
    """The reply's quotes, each looked up in the passage it names (a number out of range finds nothing)."""
    quotes: list[Quote] = []
    for n, quote in reply.quotes:
        span = locate(quote, hits[n - 1].text) if 1 <= n <= len(hits) else None
        quotes.append(Quote(n, quote, _citation(0, hits[n - 1], span) if span else None))
    return quotes


def _backing(claim: str, quotes: Sequence[Quote]) -> Citation | None:
    """The citation of the quote sharing most words with ``claim``; None if that quote was not found."""
    if not quotes:
        return None
    words = {w.lower() for w in content_words(claim)}
    best = max(quotes, key=lambda q: len(words & {w.lower() for w in content_words(q.text)}))
    return best.found


def ground(answer: str, quotes: Sequence[Quote]) -> tuple[str, tuple[Citation, ...]]:
    """``answer`` keeping only claims backed by a found quote, its markers numbering their citations."""
    text = _MARKER_GROUP.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d{1,3}", m.group(1))), answer)
    text = one_line(text)
    if not _MARKER.search(text):  # quotes given, markers forgotten: the quotes back the whole answer
        text += " " + "".join(f"[{n}]" for n in dict.fromkeys(q.passage for q in quotes if q.found))
    numbered: dict[tuple[str, int, int], Citation] = {}
    claims: list[tuple[str, str, str]] = []  # (body, markers, closing punctuation)
    end = 0
    for match in _CLAIM.finditer(text):
        end = match.end()
        body, tail = match.group(1).strip(), match.group(3)
        claim = body or (claims[-1][0] if claims else "")  # bare markers back the claim before them
        markers = ""
        for n in dict.fromkeys(map(int, _MARKER.findall(match.group(2)))):
            found = _backing(claim, [q for q in quotes if q.passage == n])
            if found is not None:
                key = (found.article_id, found.start_char, found.end_char)
                numbered.setdefault(key, replace(found, n=len(numbered) + 1))
                markers += f"[{numbered[key].n}]"
        if not markers:
            log.debug("dropped a claim without a quote found in its passages")
        elif body:
            claims.append((body, markers, tail))
        elif claims:
            claims[-1] = (claims[-1][0], claims[-1][1] + markers, claims[-1][2])
    if re.search(r"\w", text[end:]):
        log.debug("dropped trailing text without a citation")
    kept = _trimmed(claims)
    used = {int(n) for n in _MARKER.findall(kept)}
    return kept, tuple(c for c in numbered.values() if c.n in used)


def _trimmed(claims: list[tuple[str, str, str]]) -> str:
    """Whole claims up to MAX_ANSWER_CHARS; a first claim longer than that is cut at a sentence end."""
    parts: list[str] = []
    for body, markers, tail in claims:
        part = f"{body} {markers}{tail}"
        if parts and len(" ".join([*parts, part])) > MAX_ANSWER_CHARS:
            break
        if len(part) > MAX_ANSWER_CHARS:
            part = f"{_shortened(body, MAX_ANSWER_CHARS - len(markers) - 2)} {markers}"
        parts.append(part)
    return " ".join(parts)


def _shortened(body: str, limit: int) -> str:
    kept = ""
    for _start, end in sentence_spans(body):
        if end > limit:
            break
        kept = body[:end]
    return kept or body[: limit - 1].rsplit(" ", 1)[0] + "…"


def _abstention(statement: str) -> str:
    text = one_line(_MARKER_GROUP.sub("", statement))
    return text if 0 < len(text) <= MAX_ABSTAIN_CHARS else prompts.ABSTAIN


class GenerativeComposer:
    """Composes cited answers with a language model behind an OpenAI-compatible endpoint."""

    mode = "generative"

    def __init__(self, settings: Settings, llm: Any | None = None) -> None:
        self.client = ChatClient(settings, llm)
        self.on_text: TextCallback | None = None

    def streaming(self, on_text: TextCallback) -> GenerativeComposer:
        """This composer (same client), showing each answer to ``on_text`` while the model writes it."""
        streamed = copy(self)
        streamed.on_text = on_text
        return streamed

    def compose(self, query: Query, evidence: Evidence, decision: Decision, confidence: float) -> Draft:
        """The model's answer with each claim backed by a located quote; LLMError when none is.

        The model reads the same retrieved passages the extractive decision weighed, and decides itself
        whether they answer; its citations then pass the same verification.
        """
        hits = evidence.hits
        resolved = query.resolved
        passages = "\n\n".join(
            prompts.PASSAGE.format(n=n, label=passage_label(hit.article), text=one_line(hit.text))
            for n, hit in enumerate(hits, start=1)
        )
        content = self.client.reply(
            prompts.USER.format(
                question=one_line(resolved), passages=passages, asked_on=spoken(query.scope.asked_on)
            ),
            prompts.SYSTEM,
            on_content=AnswerStream(self.on_text) if self.on_text else None,
        )
        reply = parse_reply(content)
        if not reply.answerable:
            return Draft(_abstention(reply.answer), (), True, confidence, Decision.DECLINE)
        text, citations = ground(reply.answer, located(reply, hits))
        if not text:
            raise LLMError("The language model's answer had no quote that stands in the passages.")
        return Draft(text, citations, False, confidence, Decision.ANSWER)

    def condense(self, question: str, conversation: Conversation) -> str:
        """The follow-up ``question`` rewritten by the model to stand alone."""
        history = "\n".join(
            prompts.CONDENSE_TURN.format(question=one_line(q), answer=one_line(_MARKER.sub("", a)))
            for q, a in conversation.history()
        )
        content = _THINK.sub(
            "", self.client.reply(prompts.CONDENSE.format(history=history, question=question))
        )
        content = _FENCE.sub(lambda m: m.group(1), content)
        line = next((one_line(part) for part in content.splitlines() if part.strip()), "")
        rewritten = _CONDENSE_PREFIX.sub("", line).strip("\"'“”‘’ ")
        if not rewritten or len(rewritten) > MAX_CONDENSED_CHARS:
            raise LLMError("The language model did not rewrite the follow-up as one short question.")
        return rewritten
