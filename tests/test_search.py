"""Search over the seeds with the real model: the right article first, filters, the project's own types."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from store_support import DATED_RECORDS, write_jsonl

from retrieval import ArticleMeta, Hit, Index, QueryError, SearchFilters, Settings, open_index
from retrieval.lexical import stems, tokenize

# (question, file-name prefix of the article that must be the top hit, a phrase of the passage answering it)
DIRECT = [
    ("Who is the Finnish president?", "000_", "Sauli Niniisto"),
    ("What did Turkey demand before agreeing to the countries joining?", "000_", "Turkey says it wants"),
    ("Which party board decided on May 15 to work toward Sweden applying?", "000_", "The party board has"),
    ("Which ally of Putin urged the CSTO to stand united?", "001_", "Lukashenko"),
    ("Which Turkish president is under pressure to yield?", "001_", "Erdogan is under pressure"),
    ("What is an Enhanced Opportunity Partner?", "002_", "Enhanced Opportunity Partners"),
    ("What share of Finns backed joining NATO?", "002_", "53 percent of Finns"),
    ("Who wrote the Atlantic Council report with Christopher Skaluba?", "002_", "Anna Wieslander"),
]
# Paraphrases: at most two word stems in common with the sentence that answers them (checked below).
PARAPHRASES = [
    (
        "Which leader called the Kremlin's war the only threat to Europe?",
        "001_",
        "The only country that threatens",
    ),
    ("Which Belarusian strongman asked post-Soviet allies for solidarity?", "001_", "urged other members"),
    ("What warning did Moscow's deputy diplomat issue about enlargement?", "001_", "grave mistake"),
    ("Which Ukrainian city was recaptured?", "001_", "retaking second city Kharkiv"),
    (
        "Which Ankara demands concern a Kurdish militant organisation?",
        "000_",
        "outlawed Kurdish militant group",
    ),
    ("How many warplanes and vessels guard the bloc's eastern members?", "002_", "130 fighter jets"),
    ("Where is the journalist who wrote this piece based?", "002_", "reporter based in Stuttgart"),
]
# Known retrieval weaknesses, kept visible: strict, so a fix makes them fail until moved up.
WEAK = [
    pytest.param(
        "Did the foreign ministers agree to a no-fly zone over Ukraine?",
        "002_",
        "no-fly zone",
        marks=pytest.mark.xfail(
            Settings().chunk_vectors == "late",
            strict=True,
            reason="late chunk vectors (NEWSBOT_CHUNK_VECTORS=late): the 'no-fly zone' passage is dense rank 5 (rank 1 with "
            "headline + chunk vectors), BM25 rank 1; fusion ties it with a 001 passage (dense 1, BM25 5), "
            "which wins the tie",
        ),
        id="no-fly-zone",
    ),
    pytest.param(
        "What share of Finnish people backed membership?",
        "002_",
        "53 percent of Finns",
        marks=pytest.mark.xfail(
            strict=True,
            reason="'Finnish' and 'Finns' share no BM25 stem, 'membership' matches 000 lexically, and the "
            "dense model ranks 000 (whose first sentence, used as its title, names Finland) above the poll",
        ),
        id="finnish-share",
    ),
    pytest.param(
        "What did the German foreign minister say in Berlin?",
        "000_",
        "Annalena Baerbock",
        id="german-minister",  # failed while a first sentence standing in for a title was added to every chunk
    ),
    pytest.param(
        "Who described the phone call between the two presidents as a frank exchange?",
        "000_",
        "frank exchange of views",
        marks=pytest.mark.xfail(
            strict=True,
            reason="BM25 rank 1, dense rank 8: rank fusion prefers 001 passages about Putin that both lists "
            "rank moderately",
        ),
        id="frank-exchange",
    ),
]


def answering_line(index: Index, hit_prefix: str, phrase: str) -> str:
    article = next(m for m in index.articles() if m.file_name.startswith(hit_prefix))
    text = index.article_text(article.article_id)
    at = text.index(phrase)
    return text[text.rfind("\n", 0, at) + 1 : text.find("\n", at) if "\n" in text[at:] else len(text)]


@pytest.mark.parametrize(("question", "file_prefix", "phrase"), DIRECT + PARAPHRASES + WEAK)
def test_right_article_is_the_top_hit(
    seed_index: Index, question: str, file_prefix: str, phrase: str
) -> None:
    hits = seed_index.search(question, k=5)
    assert hits[0].article.file_name.startswith(file_prefix), [h.article.file_name for h in hits]
    assert any(phrase in h.text for h in hits), "the answering passage is among the hits"


def test_queries_cover_every_seed_article_and_paraphrases_share_few_words(seed_index: Index) -> None:
    assert len(DIRECT) + len(PARAPHRASES) >= 12 and len(PARAPHRASES) >= 5
    assert {prefix for _, prefix, _ in DIRECT + PARAPHRASES} == {"000_", "001_", "002_"}
    for question, prefix, phrase in PARAPHRASES:
        shared = set(tokenize([question])[0]) & set(tokenize([answering_line(seed_index, prefix, phrase)])[0])
        assert len(shared) <= 2, f"{question!r} shares {sorted(shared)} with its answer: not a paraphrase"


# --- what hits are -------------------------------------------------------------------------------------


def assert_own_types(value: Any) -> None:
    """Only this project's dataclasses and plain values: no llama-index or Chroma object leaks out."""
    module = type(value).__module__
    assert module in ("builtins", "datetime", "retrieval.types"), f"{type(value)!r} leaked out of the API"
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            assert_own_types(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            assert_own_types(item)


def test_hits_are_frozen_project_types_quoting_the_article_verbatim(seed_index: Index) -> None:
    hits = seed_index.search("Sweden refuses nuclear weapons on its soil", k=7)
    assert len(hits) == 7
    assert len({h.chunk_id for h in hits}) == 7
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        assert type(hit) is Hit and type(hit.article) is ArticleMeta
        assert_own_types(hit)
        assert hit.dense_rank is not None or hit.lexical_rank is not None
        assert seed_index.article_text(hit.article.article_id)[hit.start_char : hit.end_char] == hit.text
        with pytest.raises(dataclasses.FrozenInstanceError):
            hit.text = "changed"  # type: ignore[misc]
    assert_own_types(seed_index.stats())


def test_k_limits_the_number_of_hits_and_defaults_to_the_setting(seed_index: Index) -> None:
    assert len(seed_index.search("NATO membership", k=2)) == 2
    assert len(seed_index.search("NATO membership")) == seed_index.settings.search_k


def test_empty_query_is_refused(seed_index: Index) -> None:
    with pytest.raises(QueryError):
        seed_index.search("   \n\t ")


def test_empty_index_returns_no_hits(make_settings: Callable[..., Settings], embed_model: Any) -> None:
    assert open_index(make_settings(), embed_model=embed_model).search("anything at all") == []


# --- filters -------------------------------------------------------------------------------------------


def test_source_filter_restricts_hits_to_that_file(seed_index: Index) -> None:
    question = "Which ally of Putin urged the CSTO to stand united?"
    assert seed_index.search(question, k=1)[0].article.file_name.startswith("001_")
    target = next(m.file_name for m in seed_index.articles() if m.file_name.startswith("002_"))
    hits = seed_index.search(question, k=8, filters=SearchFilters(sources=(target,)))
    assert hits and {h.article.file_name for h in hits} == {target}
    assert seed_index.search(question, filters=SearchFilters(sources=("no-such-file.txt",))) == []


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Index:
    """The seeds (undated) plus dated .jsonl records from two sources."""
    root = tmp_path_factory.mktemp("dated")
    feed = write_jsonl(root / "feed.jsonl", DATED_RECORDS)
    settings = Settings(data_dir=root / "data", collection="search_dated")
    index = open_index(settings, embed_model=embed_model)
    report = index.add([feed, Path(__file__).resolve().parent.parent / "seeds"])
    assert len(report.added) == 6
    return index


def test_date_filters_keep_only_articles_published_in_range(dated_index: Index) -> None:
    question = "new tram line frost orchards library opening hours"
    everything = dated_index.search(question, k=20)
    assert {h.article.published for h in everything} >= {None, date(2021, 3, 2), date(2022, 4, 20)}

    since = dated_index.search(question, k=20, filters=SearchFilters(published_from=date(2022, 1, 1)))
    assert {h.article.title for h in since} == {
        "Frost damages apple orchards",
        "Library extends opening hours",
    }

    until = dated_index.search(question, k=20, filters=SearchFilters(published_to=date(2022, 4, 20)))
    assert {h.article.title for h in until} == {"Riverside tram line opens", "Frost damages apple orchards"}

    window = SearchFilters(published_from=date(2022, 1, 1), published_to=date(2022, 12, 31))
    assert {h.article.title for h in dated_index.search(question, k=20, filters=window)} == {
        "Frost damages apple orchards"
    }
    assert dated_index.search(question, filters=SearchFilters(published_from=date(2024, 1, 1))) == []


def test_source_filter_matches_the_source_field_of_records(dated_index: Index) -> None:
    hits = dated_index.search("opening", k=20, filters=SearchFilters(sources=("Metro Gazette",)))
    assert {h.article.title for h in hits} == {"Riverside tram line opens", "Library extends opening hours"}
    assert all(h.article.source == "Metro Gazette" for h in hits)
    top = dated_index.search("apple blossom harvest", k=1, filters=SearchFilters(sources=("Valley Farmer",)))[
        0
    ]
    assert top.article.url is None and top.article.published == date(2022, 4, 20)


def test_articles_read_together_are_the_articles_read_one_by_one(seed_index: Index) -> None:
    ids = [m.article_id for m in seed_index.articles()]
    together = seed_index.article_texts([*ids, "no-such-article", ids[0]])
    assert together == {article_id: seed_index.article_text(article_id) for article_id in ids}


@pytest.mark.parametrize(
    "text",
    [
        "The Olympics, the olympic games and an Olympic's bid",
        "Wimbledon 2019 – women's singles: Serena Williams and Johanna Konta …",
        "Bank of America, U.S. officials, naïve café owners, 5G and a x",
        "",
    ],
)
def test_stems_are_the_tokens_tokenize_gives(text: str) -> None:
    assert stems(text) == set(tokenize([text])[0])


def test_stems_are_the_tokens_tokenize_gives_for_every_seed_sentence(seeds_dir: Path) -> None:
    from retrieval.sentences import sentence_spans

    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sentences = [text[a:b] for a, b in sentence_spans(text)]
        for sentence, tokens in zip(sentences, tokenize(sentences), strict=True):
            assert stems(sentence) == set(tokens), sentence
