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


def test_code_is_told_by_its_syntax_not_by_the_word_return():
    """A generated sentence that is code answers nothing; a sentence about returning an item is
    not code (``return`` alone used to count, so every reply about returns was dropped)."""
    from apps.customer_service.services.grounded import CODE

    code = [
        "def answer(question):",
        "import requests",
        "from shop.api import orders",
        "return fetch(order_id)",
        "return total;",
        "print(order.status)",
        "if status == shipped:",
        "const f = () => 1",
        "```python",
        "<div>",
    ]
    prose = [
        "You can return a book within 21 days.",
        "Return the item within 30 days.",
        "Import duties are paid on delivery.",
        "We print the return label for you.",
        "Defective items are replaced free of charge.",
    ]
    assert [c for c in code if not CODE.search(c)] == []
    assert [p for p in prose if CODE.search(p)] == []
