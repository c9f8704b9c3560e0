"""A reproducible, larger news corpus for benchmarks, recombined from the seed articles.

Every article is new text made of real sentences: paragraphs of sentences drawn from the seeds, with each
proper name swapped for one from a Zipf-distributed pool of synthetic names (so the vocabulary has the long
tail of real news rather than the seeds' few hundred words), a dateline, a unique title and a unique date.
The same ``seed`` always writes byte-identical files. Files are plain ``.txt`` (title on the first line) so
that newsbot and the llama-index baseline read exactly the same input; ``manifest.jsonl`` lists id, title,
date and file of each article.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from retrieval.sentences import sentence_spans

DEFAULT_SEED = 20220515
CHUNKS_PER_ARTICLE_ESTIMATE = 11.2  # measured with newsbot's default chunking (600 chars, 1-sentence overlap)
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}(?: [A-Z][a-z]{2,})?")
_SYLLABLES = tuple(
    [
        "ka",
        "lo",
        "mi",
        "ra",
        "ten",
        "sul",
        "var",
        "bor",
        "nia",
        "del",
        "fa",
        "gri",
        "ho",
        "jus",
        "kel",
        "lum",
        "mor",
        "nav",
        "pel",
        "quin",
        "ros",
        "sta",
        "tur",
        "vel",
        "wyn",
        "zar",
    ]
)
_CITIES = tuple(
    [
        "LONDON",
        "PARIS",
        "BERLIN",
        "HELSINKI",
        "STOCKHOLM",
        "WARSAW",
        "ROME",
        "MADRID",
        "VIENNA",
        "OSLO",
        "KYIV",
        "BRUSSELS",
        "TALLINN",
        "RIGA",
    ]
)
_START = date(1970, 1, 1)
_DATE_SPAN = 20011  # a prime number of days (~55 years): number * step % span is distinct for each number
_DATE_STEP = 7919


@dataclass(frozen=True)
class GeneratedCorpus:
    """Where a generated corpus lives and what it holds."""

    root: Path
    articles_dir: Path
    manifest: Path
    articles: int
    seed: int


def _seed_material(seeds_dir: Path) -> tuple[list[list[str]], list[str]]:
    """Paragraphs (each a list of sentences) and title-like first lines of the seed articles."""
    paragraphs: list[list[str]] = []
    titles: list[str] = []
    for path in sorted(seeds_dir.glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        titles.extend(" ".join(line.split()[:9]).rstrip(".,;:") for line in lines[:3])
        for line in lines[1:]:
            sentences = [line[s:e] for s, e in sentence_spans(line)]
            if sentences and len(line) > 40:
                paragraphs.append(sentences)
    if not paragraphs:
        raise ValueError(f"no seed articles (*.txt) found in {seeds_dir}")
    return paragraphs, titles


def _name_pool(rng: random.Random, size: int = 6000) -> list[str]:
    names: set[str] = set()
    while len(names) < size:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize())
    ordered = sorted(names)
    rng.shuffle(ordered)  # popularity must not follow the alphabet
    return ordered


def _zipf_pick(rng: random.Random, pool: list[str]) -> str:
    # rank ~ Pareto: a few names are everywhere, most are rare, as in real news
    rank = min(int(20 * (rng.paretovariate(1.05) - 1)), len(pool) - 1)
    return pool[rank]


def article_text(
    rng: random.Random,
    number: int,
    published: date,
    paragraphs: list[list[str]],
    titles: list[str],
    names: list[str],
) -> tuple[str, str]:
    """Title and text of article ``number``: recombined seed paragraphs with fresh names."""
    renames: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        original = match.group(0)
        if original not in renames:
            renames[original] = " ".join(_zipf_pick(rng, names) for _ in original.split(" "))
        return renames[original]

    body: list[str] = []
    target_chars = rng.randint(2800, 5200)  # the seeds run 2,000-4,300 characters
    length = 0
    while length < target_chars:
        source = rng.choice(paragraphs)
        start = rng.randrange(len(source))
        take = source[start : start + rng.randint(1, 4)]
        if rng.random() < 0.3:
            take = [*take, rng.choice(rng.choice(paragraphs))]  # a sentence from elsewhere
        paragraph = _NAME.sub(rename, " ".join(take))
        body.append(paragraph)
        length += len(paragraph) + 1
    title = f"{_NAME.sub(rename, rng.choice(titles))}: {_zipf_pick(rng, names)} report no. {number + 1}"
    dateline = f"{rng.choice(_CITIES)}, {published.isoformat()} —"
    return title, "\n".join([title, f"{dateline} {body[0]}", *body[1:]]) + "\n"


def generate_corpus(
    out_dir: Path, n_articles: int, *, seeds_dir: Path, seed: int = DEFAULT_SEED
) -> GeneratedCorpus:
    """Write ``n_articles`` distinct dated articles under ``out_dir`` (reusing them when already there).

    Article ``i`` is the same in every corpus of the same ``seed``, so corpora of growing size nest.
    """
    if n_articles > _DATE_SPAN:
        raise ValueError(f"at most {_DATE_SPAN} articles have distinct dates")
    articles_dir = out_dir / "articles"
    manifest = out_dir / "manifest.jsonl"
    stamp = out_dir / "corpus.json"
    wanted = {"articles": n_articles, "seed": seed}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return GeneratedCorpus(out_dir, articles_dir, manifest, n_articles, seed)
    paragraphs, titles = _seed_material(seeds_dir)
    names = _name_pool(random.Random(seed))
    articles_dir.mkdir(parents=True, exist_ok=True)
    for old in articles_dir.glob("*.txt"):
        old.unlink()
    with manifest.open("w", encoding="utf-8") as out:
        for number in range(n_articles):
            # Article i depends on (seed, i) only: a larger corpus starts with the smaller one's articles.
            rng = random.Random(f"{seed}-{number}")
            published = _START + timedelta(days=number * _DATE_STEP % _DATE_SPAN)  # distinct below _DATE_SPAN
            title, text = article_text(rng, number, published, paragraphs, titles, names)
            file_name = f"{number:06d}.txt"
            (articles_dir / file_name).write_text(text, encoding="utf-8")
            record = {
                "id": f"gen-{number:06d}",
                "title": title,
                "published": published.isoformat(),
                "file": file_name,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    stamp.write_text(json.dumps(wanted))
    return GeneratedCorpus(out_dir, articles_dir, manifest, n_articles, seed)


def articles_for_chunks(chunks: int) -> int:
    """How many generated articles give about ``chunks`` newsbot chunks."""
    return max(1, round(chunks / CHUNKS_PER_ARTICLE_ESTIMATE))
