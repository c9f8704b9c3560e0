"""Place aliases: a capital or a demonym stands for its country in retrieval and scoring."""

from __future__ import annotations

from retrieval.aliases import aliases, expand


def test_capitals_and_demonyms_name_their_country() -> None:
    assert "turkey" in aliases("Ankara")
    assert "finland" in aliases("Finnish")
    assert "sweden" in aliases("Stockholm's")
    assert aliases("alliance") == ("nato",)
    assert aliases("newspaper") == ()


def test_expand_appends_the_country_once_and_only_when_missing() -> None:
    assert (
        expand("Who heads the government in Helsinki?") == "Who heads the government in Helsinki? (finland)"
    )
    assert (
        expand("Is Minsk allied with the Kremlin and Moscow?")
        == "Is Minsk allied with the Kremlin and Moscow? (belarus russia)"
    )
    assert expand("Who is the president of Finland?") == "Who is the president of Finland?"
    assert (
        expand("What did the Finnish president say in Finland?")
        == "What did the Finnish president say in Finland?"
    )
