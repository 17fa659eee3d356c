"""The grounding check's polarity test: a sentence that shares nearly every word with its
closest source sentence but says the opposite (one negated, the other not) is unsupported,
in English and Chinese; an agreeing paraphrase stays supported."""

from __future__ import annotations

from apps.customer_service.engine.grounding import check

EBOOKS = ["独立出版社的电子书没有DRM；大型出版社的电子书带有印有您姓名的水印。"]
GIFT_CARDS = ["Gift cards cannot be returned or exchanged for cash."]


def test_a_sentence_that_flips_its_sources_negation_is_unsupported():
    flipped = check("独立出版社的电子书有DRM。", EBOOKS).sentences[0]
    assert not flipped.supported and flipped.contradicts and flipped.lexical == 1.0
    english = check("Gift cards can be returned or exchanged for cash.", GIFT_CARDS)
    assert not english.sentences[0].supported and english.sentences[0].contradicts
    assert english.as_dict()["sentences"][0]["contradicts"] is True


def test_a_sentence_that_agrees_with_its_source_stays_supported():
    for reply, sources in [
        ("独立出版社的电子书没有DRM。", EBOOKS),
        ("You can't return gift cards.", GIFT_CARDS),
        (
            "Standard delivery is free for orders over 50 EUR.",
            ["Standard delivery is free for orders over 50 EUR; below that it costs 4.95 EUR."],
        ),
    ]:
        sentence = check(reply, sources).sentences[0]
        assert sentence.supported and not sentence.contradicts, reply
