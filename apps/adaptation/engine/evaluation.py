"""Before/after figures on the validation pairs that need no second model: answer-token loss
and its perplexity, ROUGE-L F1 of greedy answers against the references (rouge-score), and the
share of answers that contain the reference's key fact."""

from __future__ import annotations

import math

from .lora import generate, mean_loss
from .pairs import Pair, contains_fact, key_fact


def rouge_l(answers: list[str], references: list[str]) -> list[float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return [
        scorer.score(reference, answer)["rougeL"].fmeasure
        for answer, reference in zip(answers, references, strict=True)
    ]


def evaluate(
    model, tokenizer, pairs: list[Pair], *, max_length: int = 192, max_new_tokens: int = 64
) -> dict:
    """Figures for one model (base, or base plus adapter) and its answers, in pair order."""
    loss = mean_loss(model, tokenizer, pairs, max_length=max_length)
    answers = generate(model, tokenizer, pairs, max_new_tokens=max_new_tokens)
    references = [pair.response for pair in pairs]
    scores = rouge_l(answers, references)
    facts = [pair.key_fact or key_fact(pair.response) for pair in pairs]
    hits = [contains_fact(answer, fact) for answer, fact in zip(answers, facts, strict=True)]
    return {
        "val_loss": round(loss, 4),
        "perplexity": round(math.exp(min(loss, 50)), 3),
        "rougeL": round(sum(scores) / max(len(scores), 1), 4),
        "key_fact_share": round(sum(hits) / max(len(hits), 1), 4),
        "answers": answers,
        "key_facts": facts,
    }


def compare(base: dict, adapted: dict, pairs: list[Pair], *, examples: int = 4) -> dict:
    """The evaluation as stored and printed: both sides' figures and a few examples side by
    side (the first pairs, in the deterministic validation order)."""
    figures = {}
    for name in ("val_loss", "perplexity", "rougeL", "key_fact_share"):
        figures[f"{name}_base"] = base[name]
        figures[f"{name}_adapted"] = adapted[name]
    figures["improved"] = improved(figures)
    figures["validation_pairs"] = len(pairs)
    figures["examples"] = [
        {
            "prompt": pair.prompt,
            "reference": pair.response,
            "key_fact": base["key_facts"][i],
            "base": base["answers"][i],
            "adapted": adapted["answers"][i],
        }
        for i, pair in enumerate(pairs[:examples])
    ]
    return figures


def improved(figures: dict) -> bool:
    """What promotion requires: a lower validation loss, and answers no further from the
    references (ROUGE-L) than the base model's."""
    return (
        figures["val_loss_adapted"] < figures["val_loss_base"]
        and figures["rougeL_adapted"] >= figures["rougeL_base"]
    )
