"""The default composer: pick the sentences that answer the question and cite them. No language model.

Each candidate sentence (from the retrieved chunks) is ranked by its embedding similarity to the question,
its overlap with the question's words (names and numbers weigh more), whether it holds the kind of answer
asked for (a person for "who", a date for "when", a number for "how many"), and the rank of its chunk.
Whether to answer at all is a separate, calibrated decision (:mod:`retrieval.confidence`): it also asks
whether the question's rare words are found around the chosen sentence, and whether the corpus knows them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from retrieval import prompts
from retrieval.aliases import aliases, expand
from retrieval.confidence import Evidence, answerable
from retrieval.conversation import content_words
from retrieval.lexical import tokenize
from retrieval.passages import Sentence, SentencePool
from retrieval.qtypes import AnswerType, answer_type, has_answer, head_noun, proper_names
from retrieval.types import Citation, Hit

# Weights of the ranking score; calibrated on half of the eval set, checked on the other half.
W_DENSE, W_LEXICAL, W_TYPE, W_RANK = 0.5, 0.3, 0.15, 0.05
EMBEDDED_CANDIDATES = 8  # only the best candidates by cheap features are embedded
SECOND_CLAIM_RATIO = 0.93  # a second sentence must score this close to the best
SUPPORT_SIMILARITY = 0.78  # another article's sentence this similar backs the same claim
WORD_MATCH_SIMILARITY = (
    0.55  # a question word this close in meaning to a word near the answer counts as found
)
HEAD_MATCH_SIMILARITY = 0.6  # stricter: "leader" may stand for "president", "capital" for nothing here
MAX_ANSWER_CHARS = 400
MAX_CLAIM_CHARS = 300
_NUMBER = re.compile(r"\d[\d,.]*")
_REASON_LEAD = re.compile(
    r"^[\"“‘']?(that’s|that's|this is|that is|it is|because|thanks to|the reason)\b", re.IGNORECASE
)
_PRONOUN_START = re.compile(r"^[\"“‘']?(he|she|they|it|this|that|these|those)\b", re.IGNORECASE)
# Words that say what kind of answer is wanted, not what it is about.
_CUE_WORDS = frozenset(
    (
        "who whom whose what which when where why how many much percentage percent share number proportion "
        "year date day name kind"
    ).split()
)


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its features and ranking score."""

    sentence: Sentence
    lexical: float
    typed: bool
    dense: float = 0.0
    score: float = 0.0


@dataclass(frozen=True)
class Draft:
    """A composed answer before numbering checks: text with [n] markers and its citations."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    confidence: float = 0.0


def _shift_markers(text: str, offset: int) -> str:
    """``[1]`` becomes ``[1 + offset]``."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", text)


def merge(drafts: Sequence[Draft]) -> Draft:
    """One answer from the answers to the parts of a compound question, citations renumbered in order."""
    answered = [d for d in drafts if not d.abstained]
    if not answered:
        return drafts[0]
    parts: list[str] = []
    citations: list[Citation] = []
    for draft in answered:
        offset = len(citations)
        parts.append(_shift_markers(draft.text, offset))
        citations.extend(replace(c, n=c.n + offset) for c in draft.citations)
    if len(answered) < len(drafts):
        parts.append(prompts.PARTLY_ANSWERED)
    return Draft(" ".join(parts), tuple(citations), False, min(d.confidence for d in answered))


def _new_names(text: str, question: str) -> set[str]:
    """Capitalised names in ``text`` that the question does not already mention."""
    asked = question.lower()
    return {name for name in proper_names(text) if name.lower() not in asked}


def _disagree(first: Sentence, second: Sentence) -> bool:
    """Two articles giving different figures."""
    figures = set(_NUMBER.findall(first.text)), set(_NUMBER.findall(second.text))
    return first.article.article_id != second.article.article_id and all(figures) and figures[0] != figures[1]


def _weights(question: str, context: str) -> dict[str, float]:
    """Stemmed question tokens with weights: names and numbers count double, carried-over context half."""
    weights: dict[str, float] = {}
    names = {w.lower() for w in content_words(question) if w[:1].isupper() or w[:1].isdigit()}
    for word in content_words(question):
        for token in tokenize([word])[0]:
            weights[token] = max(weights.get(token, 0.0), 2.0 if word.lower() in names else 1.0)
    for word in content_words(context):
        for token in tokenize([word])[0]:
            weights.setdefault(token, 0.3)
    return weights


def _alias_tokens(words: list[str]) -> dict[str, set[str]]:
    """For each stemmed question token, the stemmed tokens of its aliases ("ankara" → "turkey", …)."""
    found: dict[str, set[str]] = {}
    for word in words:
        names = aliases(word)
        if names:
            for token in tokenize([word])[0]:
                found.setdefault(token, set()).update(t for n in names for t in tokenize([n])[0])
    return found


def _covered(token: str, sentence_tokens: set[str], alias_tokens: dict[str, set[str]]) -> bool:
    return token in sentence_tokens or bool(alias_tokens.get(token, set()) & sentence_tokens)


def _lexical(
    weights: dict[str, float], sentence_tokens: set[str], alias_tokens: dict[str, set[str]]
) -> float:
    total = sum(weights.values())
    covered = sum(w for t, w in weights.items() if _covered(t, sentence_tokens, alias_tokens))
    return covered / total if total else 0.0


def _clip(text: str, limit: int = MAX_CLAIM_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _citation(n: int, sentence: Sentence) -> Citation:
    return Citation.of(n, sentence.article, sentence.text, sentence.start_char, sentence.end_char)


class ExtractiveComposer:
    """Selects and cites answer sentences from retrieved chunks."""

    mode = "extractive"

    def __init__(self, pool: SentencePool, abstain_threshold: float) -> None:
        self.pool = pool
        self.abstain_threshold = abstain_threshold

    def score(self, question: str, resolved: str, hits: Sequence[Hit]) -> list[Scored]:
        """The best candidate sentences of ``hits``, best first."""
        sentences = self.pool.sentences(hits)
        if not sentences:
            return []
        kind = answer_type(question)
        weights = _weights(question, resolved[len(question) :] if resolved.startswith(question) else resolved)
        token_sets = [set(tokens) for tokens in tokenize([s.text for s in sentences])]
        alias_tokens = _alias_tokens(content_words(resolved))
        cheap = [
            Scored(s, _lexical(weights, tokens, alias_tokens), has_answer(kind, s.text, question))
            for s, tokens in zip(sentences, token_sets, strict=True)
        ]
        cheap.sort(key=lambda c: -(0.5 * c.lexical + 0.3 * c.typed + 0.2 / c.sentence.hit_rank))
        shortlist = cheap[:EMBEDDED_CANDIDATES]
        question_vector = np.asarray(self.pool.index.embed_query(expand(resolved)), dtype=np.float32)
        question_vector /= np.linalg.norm(question_vector) or 1.0
        similarities = self.pool.embed([c.sentence for c in shortlist]) @ question_vector
        scored = [
            replace(
                c,
                dense=float(sim),
                score=W_DENSE * float(sim)
                + W_LEXICAL * c.lexical
                + W_TYPE * c.typed
                + W_RANK / c.sentence.hit_rank,
            )
            for c, sim in zip(shortlist, similarities, strict=True)
        ]
        return sorted(scored, key=lambda c: -c.score)

    def _window(self, sentence: Sentence) -> list[Sentence]:
        """The sentence with its neighbours: where a name or a reason usually sits."""
        window = [sentence]
        for offset in (-1, 1):
            neighbour = self.pool.neighbour(sentence, offset)
            if neighbour is not None:
                window.append(neighbour)
        return window

    def _about(self, subject: str | None, sentence: Sentence) -> bool:
        """True unless a follow-up's "he"/"she" means someone the sentence and its neighbours never name."""
        if not subject:
            return True
        around = " ".join(s.text for s in self._window(sentence)).lower()
        return any(part.lower() in around for part in subject.split() if len(part) > 2)

    def evidence(self, question: str, best: Scored, threshold: float | None = None) -> Evidence:
        """What the answer-or-abstain decision looks at, for the chosen sentence.

        With ``threshold``, the costly ``unmatched`` feature (word embeddings) is only computed when the
        decision depends on it; otherwise it is set to the bound that decides, with the same outcome.
        """
        own = [t for w in content_words(question) if w.lower() not in _CUE_WORDS for t in tokenize([w])[0]]
        own = list(dict.fromkeys(own))
        window = self._window(best.sentence)
        window_tokens = {t for tokens in tokenize([s.text for s in window]) for t in tokens}
        frequency, chunks = self.pool.index.term_statistics(own)
        idf = {t: math.log(1 + (chunks + 1) / (frequency[t] + 0.5)) for t in own}
        known = [t for t in own if frequency[t] > 0]
        total_idf = sum(idf[t] for t in known) or 1.0
        alias_tokens = _alias_tokens(content_words(question))
        missing_words = [
            w.lower()
            for w in content_words(question)
            if w.lower() not in _CUE_WORDS
            and not all(_covered(t, window_tokens, alias_tokens) for t in tokenize([w])[0])
        ]
        evidence = Evidence(
            dense=best.dense,
            lexical=best.lexical,
            typed=best.typed,
            needs_type=answer_type(question) not in (AnswerType.OTHER, AnswerType.REASON),
            unknown=(len(own) - len(known)) / len(own) if own else 0.0,
            missing=sum(idf[t] for t in known if not _covered(t, window_tokens, alias_tokens)) / total_idf
            if known
            else 0.0,
        )
        most_unmatched = len(missing_words) / len(own) if own else 0.0
        if threshold is not None and (
            answerable(evidence) < threshold  # abstains even if every missing word had a synonym nearby
            or answerable(replace(evidence, unmatched=most_unmatched))
            >= threshold  # answers even if none had
        ):
            return (
                evidence if answerable(evidence) < threshold else replace(evidence, unmatched=most_unmatched)
            )
        unmatched = 0.0
        if missing_words and own:
            window_words = list(dict.fromkeys(w.lower() for s in window for w in content_words(s.text)))
            vectors = self.pool.embed_words(missing_words + window_words)
            window_matrix = np.stack([vectors[w] for w in window_words]) if window_words else None
            for word in missing_words:
                nearest = float((window_matrix @ vectors[word]).max()) if window_matrix is not None else 0.0
                if nearest < WORD_MATCH_SIMILARITY:
                    unmatched += 1
            unmatched /= len(own)
        return replace(evidence, unmatched=unmatched)

    def _names_head(self, question: str, sentence: Sentence) -> bool:
        """For "who/what is the X of Y": the sentence must name X (or a near synonym), else it can't answer."""
        head = head_noun(question)
        if head is None:
            return True
        wanted = tokenize([head])[0]
        if not wanted or set(wanted) <= set(tokenize([sentence.text])[0]):
            return True
        words = list(dict.fromkeys(w.lower() for w in content_words(sentence.text)))
        vectors = self.pool.embed_words([head.lower(), *words])
        return any(float(vectors[head.lower()] @ vectors[w]) >= HEAD_MATCH_SIMILARITY for w in words)

    def _extended(self, scored: Scored, kind: AnswerType, question: str) -> Sentence:
        """The sentence, run on into the next one when the answer is there ("… said:" / "That's thanks to …")."""
        sentence = scored.sentence
        following = self.pool.neighbour(sentence, 1)
        if following is None:
            return sentence
        lead_in = sentence.text.rstrip().endswith(":")
        reason = kind is AnswerType.REASON and bool(_REASON_LEAD.search(following.text))
        # "Finland and Sweden are two of six partners." + "The other four are Australia, Georgia, …"
        listing = kind in (AnswerType.LIST, AnswerType.PLACE) and (
            len(_new_names(following.text, question)) >= 2 > len(_new_names(sentence.text, question))
        )
        # "… Lukashenko urged members to stand united." + "He made his plea to Armenia, …" for "… his plea?"
        own = {t for w in content_words(question) if w.lower() not in _CUE_WORDS for t in tokenize([w])[0]}
        carries_on = bool(_PRONOUN_START.match(following.text)) and bool(
            (own & set(tokenize([following.text])[0])) - set(tokenize([sentence.text])[0])
        )
        if lead_in or reason or listing or carries_on:
            return self.pool.joined(sentence, following)
        return sentence

    def compose(
        self,
        question: str,
        resolved: str,
        hits: Sequence[Hit],
        max_claims: int = 2,
        subject: str | None = None,
    ) -> Draft:
        """The cited answer, or an abstention pointing at the closest passage.

        ``subject`` is the person a follow-up's pronoun refers to; an answer that is not about them abstains.
        """
        ranked = self.score(question, resolved, hits)
        kind = answer_type(question)
        if not ranked:
            return Draft(prompts.ABSTAIN, (), True, 0.0)
        best = ranked[0]
        evidence = self.evidence(question, best, self.abstain_threshold)
        confidence = answerable(evidence)
        if (
            confidence < self.abstain_threshold
            or not self._names_head(question, best.sentence)
            or not self._about(subject, best.sentence)
        ):
            closest = prompts.CLOSEST.format(quote=_clip(best.sentence.text, 200).strip("“”\"'"))
            return Draft(f"{prompts.ABSTAIN} {closest}", (_citation(1, best.sentence),), True, confidence)

        vectors = self.pool.embed([c.sentence for c in ranked])
        claims: list[list[Sentence]] = [[self._extended(best, kind, question)]]
        used = {0}
        # Another article saying the same thing backs the same claim (a different figure does not: it differs).
        for i, other in enumerate(ranked[1:], start=1):
            same_article = other.sentence.article.article_id == best.sentence.article.article_id
            similar = float(vectors[i] @ vectors[0]) >= SUPPORT_SIMILARITY
            if not same_article and similar and not _disagree(best.sentence, other.sentence):
                claims[0].append(other.sentence)
                used.add(i)
                break
        needs_type = evidence.needs_type
        ratio = SECOND_CLAIM_RATIO - (0.05 if kind is AnswerType.LIST else 0.0)
        # A person, date, number or place is one fact: a second sentence would only dilute it.
        # Numbers get a second sentence only when another article gives a different figure.
        wants_more = max_claims > 1 and kind in (
            AnswerType.LIST,
            AnswerType.REASON,
            AnswerType.OTHER,
            AnswerType.NUMBER,
        )
        for i, other in enumerate(ranked[1:] if wants_more else [], start=1):
            if i in used or other.score < ratio * best.score or (needs_type and not other.typed):
                continue
            if kind is AnswerType.NUMBER and not _disagree(best.sentence, other.sentence):
                continue
            if float(vectors[i] @ vectors[0]) >= 0.9 or other.lexical < 0.75 * best.lexical:
                continue  # a near-duplicate, or one that answers less of the question
            claims.append([self._extended(other, kind, question)])
            break

        differ = kind is AnswerType.NUMBER and len(claims) > 1
        citations: list[Citation] = []
        parts: list[str] = []
        for claim in claims:
            first = len(citations) + 1
            markers = "".join(f"[{first + i}]" for i in range(len(claim)))
            part = f"{_clip(claim[0].text)} {markers}"
            if parts and len(" ".join(parts)) + len(part) > MAX_ANSWER_CHARS:
                break
            citations.extend(_citation(first + i, sentence) for i, sentence in enumerate(claim))
            parts.append(part)
        text = " ".join(parts)
        if differ and len(parts) > 1:
            text = f"{prompts.SOURCES_DIFFER} {text}"
        return Draft(text, tuple(citations), False, confidence)
