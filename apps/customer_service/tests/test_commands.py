"""``evaluate_intents`` (the issue's quality bar on the demo held-out split, and ``--file``)
and ``customer_service_seed``."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.customer_service.demo import DEMO_DIR
from apps.customer_service.models import DemoOrder, IntentModel, TrainingExample
from knowledge.graphs.text import has_cjk

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[list[str], dict]:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return lines, json.loads(lines[-1])


def test_evaluate_intents_meets_the_bar_on_the_held_out_split(tmp_path):
    lines, report = run("evaluate_intents")
    assert report["accuracy"] >= 0.9, report
    assert report["oos_recall"] >= 0.8 and report["in_scope_precision"] >= 0.9
    assert report["cases"] == 158 and report["train_examples"] == 480
    assert any(line.startswith("refund") for line in lines)  # per-intent rows

    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        "\n".join(
            json.dumps({"text": t, "intent": i})
            for t, i in [
                ("I'd like my money back for the jacket", "refund"),
                ("who won the chess world championship", "out_of_scope"),
                ("hello!", "greeting"),
            ]
        ),
        encoding="utf-8",
    )
    _, small = run("evaluate_intents", "--file", str(cases))
    assert small["cases"] == 3 and small["oos_recall"] == 1.0


def test_chinese_messages_are_understood_on_the_held_out_split(tmp_path):
    """Chinese had 4 training examples per intent and most held-out Chinese messages fell
    back (0.57 on these 42); with 12 per intent they are understood."""
    rows = [json.loads(line) for line in (DEMO_DIR / "intents_test.jsonl").open(encoding="utf-8")]
    chinese = [r for r in rows if has_cjk(r["text"])]
    assert len(chinese) >= 56
    cases = tmp_path / "zh.jsonl"
    cases.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in chinese), "utf-8")
    _, report = run("evaluate_intents", "--file", str(cases))
    assert report["cases"] == len(chinese) and report["accuracy"] >= 0.8, report


def test_evaluate_intents_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "intent": "greeting"}\n{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="bad.jsonl:2:intent"):
        run("evaluate_intents", "--file", str(bad))
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"text": "hi", "intent": "teleport"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="teleport"):
        run("evaluate_intents", "--file", str(unknown))


def test_seed_sets_up_a_working_assistant_and_is_idempotent(tenant):
    _, first = run("customer_service_seed", "--tenant", tenant.slug)
    assert first["intents"] == 14 and first["examples_created"] == 638
    assert first["model_version"] == 1 and first["accuracy"] >= 0.9
    _, again = run("customer_service_seed", "--tenant", tenant.slug)
    assert again["examples_created"] == 0 and again["model_version"] == 1
    assert IntentModel.objects.filter(tenant=tenant).count() == 1
    assert DemoOrder.objects.filter(tenant=tenant).count() == 6
    assert TrainingExample.objects.filter(tenant=tenant, split="test").count() == 158


def test_evaluate_grounding_reports_what_the_help_centre_answers_out_of_scope(tmp_path):
    """``--negatives``: each question asked in a new conversation; one the book club's page
    answers counts as answered, a sum does not (the figure can move both ways)."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps(
            {
                "tenant": "books",
                "language": "en",
                "question": "How long is a gift voucher valid?",
                "document": "vouchers.csv",
                "facts": ["2 years"],
            }
        ),
        encoding="utf-8",
    )
    negatives = tmp_path / "n.jsonl"
    negatives.write_text(
        "\n".join(
            json.dumps({"tenant": "books", "language": lang, "question": q}, ensure_ascii=False)
            for lang, q in [
                ("en", "what is 17 times 23"),
                ("en", "What time does the book club get together?"),
                ("zh", "帮我订一张今晚两人的餐桌"),
            ]
        ),
        encoding="utf-8",
    )
    with negatives.open("a", encoding="utf-8") as fh:  # a row naming no shop: the outdoor one
        fh.write('\n{"language": "en", "question": "Can you recommend a good podcast?"}\n')
    lines, report = run(
        "evaluate_grounding", "--file", str(questions), "--negatives", str(negatives)
    )
    assert report["questions"] == 1
    outside = report["negatives"]
    assert outside["questions"] == 4 and outside["answered_fraction"] == 0.25
    assert outside["per_language"]["en"]["answered_fraction"] == round(1 / 3, 4)
    assert outside["per_language"]["zh"]["answered_fraction"] == 0.0
    assert any("answered out of scope" in line and "book club" in line for line in lines)

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"tenant": "books", "language": "en"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="bad.jsonl:1:question"):
        run("evaluate_grounding", "--file", str(questions), "--negatives", str(bad))
