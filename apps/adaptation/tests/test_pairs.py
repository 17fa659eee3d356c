"""Training data: validation naming the line, both formats, duplicates, the split, masking."""

from __future__ import annotations

import json

import pytest

from apps.adaptation.engine.pairs import (
    PairsError,
    contains_fact,
    deduplicate,
    key_fact,
    parse_jsonl,
    split,
)
from apps.adaptation.services.data import demo_pairs, mask_pairs


def test_both_formats_parse():
    text = "\n".join(
        [
            json.dumps({"prompt": "How much is shipping?", "response": "4.95 EUR."}),
            "",
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "You are Demo Shop's assistant."},
                        {"role": "user", "content": "Can I pay by invoice?"},
                        {"role": "assistant", "content": "Yes, up to 1,000 EUR."},
                    ]
                }
            ),
        ]
    )
    first, second = parse_jsonl(text)
    assert first.chat() == [{"role": "user", "content": "How much is shipping?"}]
    assert second.messages[0] == ("system", "You are Demo Shop's assistant.")
    assert second.response == "Yes, up to 1,000 EUR."


def test_every_bad_line_is_named():
    text = "\n".join(
        [
            json.dumps({"prompt": "fine", "response": "fine"}),
            "{not json",
            json.dumps({"prompt": "no answer"}),
            json.dumps(
                {"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": "q2"}]}
            ),
            json.dumps(["a", "list"]),
            json.dumps(
                {
                    "messages": [
                        {"role": "robot", "content": "q"},
                        {"role": "assistant", "content": "a"},
                    ]
                }
            ),
            json.dumps({"prompt": "nul \u0000 inside", "response": "x"}),
            "[" * 100_000,
        ]
    )
    with pytest.raises(PairsError) as caught:
        parse_jsonl(text)
    problems = caught.value.errors["file"]
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(2, 9)]
    assert "response must be a non-empty string" in problems[1]
    assert "last message must be the assistant" in problems[2]
    assert "messages[0].role" in problems[4]
    assert "NUL character" in problems[5]


def test_empty_file_is_refused():
    with pytest.raises(PairsError, match="no training pairs"):
        parse_jsonl("\n\n")


def test_duplicates_ignore_case_and_spacing():
    pairs = parse_jsonl(
        "\n".join(
            json.dumps(row)
            for row in [
                {"prompt": "Where is my order?", "response": "See the tracking link."},
                {"prompt": "where  is my ORDER?", "response": "see the tracking link."},
                {"prompt": "Where is my order?", "response": "Another answer."},
            ]
        )
    )
    kept, dropped = deduplicate(pairs)
    assert dropped == 1
    assert [p.response for p in kept] == ["See the tracking link.", "Another answer."]


def test_split_is_deterministic_and_stable_when_data_grows():
    pairs = demo_pairs()
    train, validation = split(pairs, validation_fraction=0.15, seed=0)
    assert (train, validation) == split(list(pairs), validation_fraction=0.15, seed=0)
    assert len(validation) == round(len(pairs) * 0.15)
    assert not set(map(id, train)) & set(map(id, validation))
    # Adding pairs never moves an old validation pair to the training side.
    grown = pairs + parse_jsonl(json.dumps({"prompt": "new", "response": "pair"}))
    _, grown_validation = split(grown, validation_fraction=0.15, seed=0)
    assert set(map(id, validation)) <= set(map(id, grown_validation))
    assert split(pairs, seed=1) != (train, validation)


def test_demo_data_is_about_the_shop_and_large_enough():
    pairs = demo_pairs()
    kept, dropped = deduplicate(pairs)
    assert len(kept) >= 150 and dropped == 0
    text = " ".join(p.response for p in pairs)
    for fact in ("30 days", "4.95 EUR", "9.95 EUR", "14:00", "1,000 EUR", "3000 mm", "EU 38-47"):
        assert fact in text


def test_key_fact_is_the_first_figure_else_the_longest_word():
    assert key_fact("Refunds arrive within 5 business days after the return.") == "5 business days"
    assert key_fact("It costs 4.95 EUR below 50 EUR.") == "4.95 EUR"
    assert key_fact("Write to support with the new address.") == "support"
    assert contains_fact("Delivery is free over 50  eur.", "50 EUR")


def test_personal_data_is_masked_before_training():
    pairs = parse_jsonl(
        json.dumps(
            {
                "prompt": "I am Jane Miller, mail jane.miller@example.com about order 1234",
                "response": "Thanks, we wrote to jane.miller@example.com.",
            }
        )
    )
    masked, changed = mask_pairs(pairs)
    assert changed == 2
    assert "jane.miller@example.com" not in masked[0].prompt
    assert "<EMAIL_ADDRESS>" in masked[0].prompt and "<EMAIL_ADDRESS>" in masked[0].response
    assert "Jane Miller" not in masked[0].prompt
