"""Split an article into small, overlapping, sentence-aligned chunks that keep their offsets."""

from __future__ import annotations

from retrieval.sentences import sentence_spans
from retrieval.types import Article, Chunk


def _split_long(start: int, end: int, text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence at word boundaries into pieces of at most ``max_chars``."""
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def chunk_article(article: Article, *, max_chars: int = 600, overlap_sentences: int = 1) -> list[Chunk]:
    """Group consecutive sentences into chunks of at most ``max_chars`` (a lone long sentence is cut)."""
    text = article.text
    spans: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        spans.extend(_split_long(start, end, text, max_chars))

    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in spans:
        if current and span[1] - current[0][0] > max_chars:
            groups.append(current)
            kept = current[-overlap_sentences:] if overlap_sentences else []
            # Overlap only while it leaves room for the new sentence.
            while kept and span[1] - kept[0][0] > max_chars:
                kept = kept[1:]
            current = list(kept)
        current.append(span)
    if current:
        groups.append(current)

    chunks = []
    for position, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        chunks.append(
            Chunk(
                chunk_id=f"{article.meta.article_id}-{position:05d}",
                article_id=article.meta.article_id,
                position=position,
                text=text[start:end],
                start_char=start,
                end_char=end,
            )
        )
    return chunks
