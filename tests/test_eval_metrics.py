"""The eval's scoring functions on hand-built cases."""

from __future__ import annotations

import pytest

from eval import metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sauli Niinistö", "sauli niinisto"),
        ("  NATO's   30-country\tbloc. ", "nato s 30 country bloc"),
        ("“One for all” — and ‘All for One’", "one for all and all for one"),
        ("Crème BRÛLÉE!", "creme brulee"),
        ("30\u2011country", "30 country"),
        ("", ""),
    ],
)
def test_normalise_folds_case_accents_quotes_and_punctuation(text: str, expected: str) -> None:
    assert metrics.normalise(text) == expected


def test_curly_and_straight_apostrophes_normalise_alike() -> None:
    assert metrics.normalise("Sweden’s ruling party") == metrics.normalise("Sweden's ruling party")


@pytest.mark.parametrize(
    ("answer", "expected", "found"),
    [
        ("Finland's president is Sauli Niniisto [1].", "sauli NINIISTO", True),
        ("Support rose to 53 percent.", "53 percent", True),
        ("Support rose to 53%.", "53 percent", False),
        ("It has 30 members.", "30", True),
        ("It has 130 fighter jets.", "30", False),  # word boundaries: 130 is not 30
        ("The US and the UK helped.", "US", True),
        ("Russia threatens us all.", "USA", False),
        ("A 30-country defensive bloc", "30 country", True),
        ("anything", "", False),
        ("anything", " ... ", False),
    ],
)
def test_contains_matches_whole_normalised_words(answer: str, expected: str, found: bool) -> None:
    assert metrics.contains(answer, expected) is found


class TestIsCorrect:
    def test_any_one_of_answers_is_enough(self) -> None:
        assert metrics.is_correct("It is Jens Stoltenberg [1].", False, ("Stoltenberg", "Jens"), (), False)

    def test_every_answers_all_must_appear(self) -> None:
        answers_all = ("Norway", "Iceland")
        assert metrics.is_correct("Norway and Iceland [2].", False, (), answers_all, False)
        assert not metrics.is_correct("Norway [2].", False, (), answers_all, False)

    def test_answers_and_answers_all_both_apply(self) -> None:
        assert not metrics.is_correct("Only Berlin.", False, ("Brussels",), ("Berlin",), False)
        assert metrics.is_correct("Brussels, then Berlin.", False, ("Brussels",), ("Berlin",), False)

    def test_abstaining_on_an_answerable_question_is_wrong_even_if_text_matches(self) -> None:
        assert not metrics.is_correct("I can't find Stoltenberg's role.", True, ("Stoltenberg",), (), False)

    def test_unanswerable_is_right_only_when_abstained(self) -> None:
        assert metrics.is_correct("The articles do not say.", True, (), (), True)
        assert not metrics.is_correct("Finland joined in 2023.", False, (), (), True)

    def test_an_overlong_answer_does_not_count(self) -> None:
        long_answer = "Stoltenberg " + "filler " * 200
        assert not metrics.is_correct(long_answer, False, ("Stoltenberg",), (), False)
        assert metrics.is_correct(long_answer, False, ("Stoltenberg",), (), False, max_chars=10_000)

    def test_citation_markers_do_not_count_as_numbers(self) -> None:
        assert not metrics.is_correct("Many members [2].", False, ("2",), (), False)
        assert metrics.is_correct("Two: 2 [1].", False, ("2",), (), False)

    def test_a_question_without_expected_answers_is_never_right(self) -> None:
        assert not metrics.is_correct("anything", False, (), (), False)


def test_first_rank_is_one_based_and_none_when_absent() -> None:
    ranked = ["b.txt", "a.txt", "c.txt", "a.txt"]
    assert metrics.first_rank(ranked, ["a.txt"]) == 2
    assert metrics.first_rank(ranked, ["c.txt", "a.txt"]) == 2
    assert metrics.first_rank(ranked, ["b.txt"]) == 1
    assert metrics.first_rank(ranked, ["z.txt"]) is None
    assert metrics.first_rank([], ["a.txt"]) is None


@pytest.mark.parametrize(
    ("file_name", "source", "matches"),
    [
        ("000_485f.txt", "000_485f.txt", True),  # a plain file: equal names
        ("000_485f.txt", "000_485f", False),
        ("a.txt", "b.txt", False),
        ("mh-25700e0fb4.json#1", "mh-25700e0fb4.json", True),  # a record of the named file
        ("mh-25700e0fb4.json#1", "mh-25700e0fb4.json#1", True),  # exactly the named record
        ("mh-25700e0fb4.json#2", "mh-25700e0fb4.json#1", False),  # another record of that file
        ("mh-25700e0fb4.json", "mh-25700e0fb4.json#1", False),
        ("feed.jsonl#item-7", "feed.jsonl", True),
        ("feed.JSONL#3", "feed.JSONL", True),
        ("mh-25700e0fb4.json#1", "mh-25700e0fb4.js", False),  # a prefix is not a match
        ("mh-25700e0fb41.json#1", "mh-25700e0fb4.json", False),
        ("notes.txt#1", "notes.txt", False),  # only .json/.jsonl files hold records
    ],
)
def test_names_source_matches_files_and_their_records(file_name: str, source: str, matches: bool) -> None:
    assert metrics.names_source(file_name, source) is matches


def test_first_rank_finds_a_record_of_a_source_file() -> None:
    ranked = ["mh-b.json#1", "mh-a.json#1", "mh-a.json#2"]
    assert metrics.first_rank(ranked, ["mh-a.json"]) == 2
    assert metrics.first_rank(ranked, ["mh-a.json#2"]) == 3
    assert metrics.first_rank(ranked, ["mh-c.json", "mh-b.json"]) == 1
    assert metrics.first_rank(ranked, ["mh-a.json#3"]) is None


@pytest.mark.parametrize(
    ("unanswerable", "declined", "correct", "points"),
    [
        (False, False, True, 1),  # answered right
        (False, True, False, 0),  # declined an answerable question
        (False, False, False, -1),  # answered wrong
        (True, True, True, 1),  # declined an unanswerable question
        (True, False, False, -1),  # answered an unanswerable question
    ],
)
def test_crag_points(unanswerable: bool, declined: bool, correct: bool, points: int) -> None:
    assert metrics.crag_points(unanswerable=unanswerable, declined=declined, correct=correct) == points


def test_hit_at_k_and_mrr_on_hand_built_ranks() -> None:
    ranks = [1, 2, None, 5, 10]
    assert metrics.hit_at(ranks, 1) == pytest.approx(1 / 5)
    assert metrics.hit_at(ranks, 5) == pytest.approx(3 / 5)
    assert metrics.mean_reciprocal_rank(ranks) == pytest.approx((1 + 0.5 + 0 + 0.2 + 0.1) / 5)
    assert metrics.hit_at([], 1) is None
    assert metrics.mean_reciprocal_rank([]) is None


def test_abstention_scores_from_counts() -> None:
    # 6 unanswerable: 4 abstained (TP), 2 answered (FN); 1 answerable abstained on (FP)
    precision, recall, f1 = metrics.abstention_scores(true_positive=4, false_positive=1, false_negative=2)
    assert precision == pytest.approx(0.8)
    assert recall == pytest.approx(4 / 6)
    assert f1 == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))


def test_abstention_scores_are_none_when_not_measurable() -> None:
    assert metrics.abstention_scores(0, 0, 3) == (None, 0.0, None)  # never abstained: precision undefined
    assert metrics.abstention_scores(0, 2, 0) == (0.0, None, None)  # no unanswerable questions
    assert metrics.abstention_scores(0, 1, 1) == (0.0, 0.0, 0.0)


def test_quote_is_verbatim_checks_text_and_offsets() -> None:
    article = "Finland's president Sauli Niniisto spoke."
    start = article.index("Sauli")
    assert metrics.quote_is_verbatim(article, "Sauli Niniisto", start, start + 14)
    assert not metrics.quote_is_verbatim(article, "Sauli Niinisto", start, start + 14)  # altered quote
    assert not metrics.quote_is_verbatim(article, "Sauli Niniisto", start + 1, start + 15)  # shifted offsets
    assert not metrics.quote_is_verbatim(article, "", 0, 0)
    assert not metrics.quote_is_verbatim(article, "spoke.", len(article) - 6, len(article) + 1)


def test_quotes_support_needs_the_answer_inside_the_quotes() -> None:
    quotes = ["Finland's president Sauli Niniisto", "prime minister Sanna Marin"]
    assert metrics.quotes_support(quotes, ("Sanna Marin",), ())
    assert metrics.quotes_support(quotes, (), ("Niniisto", "Marin"))
    assert not metrics.quotes_support(quotes, ("Stoltenberg",), ())
    assert not metrics.quotes_support([], ("Sanna Marin",), ())


def test_percentile_interpolates_between_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert metrics.percentile(values, 0.5) == pytest.approx(25.0)
    assert metrics.percentile(values, 0.95) == pytest.approx(38.5)
    assert metrics.percentile(values, 0.0) == 10.0
    assert metrics.percentile(values, 1.0) == 40.0
    assert metrics.percentile([7.0], 0.95) == 7.0
    assert metrics.percentile([], 0.5) is None
    with pytest.raises(ValueError, match="fraction"):
        metrics.percentile(values, 95)


def test_ratio_is_none_without_a_denominator() -> None:
    assert metrics.ratio(3, 4) == 0.75
    assert metrics.ratio(0, 0) is None
