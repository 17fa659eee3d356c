"""Demo data written for the project: intents (train and held-out splits), sentiment examples
and demo orders. ``load_jsonl`` reads the splits; the --file of evaluate_intents has the same
format: one ``{"text": ..., "intent": ...}`` object per line."""

from __future__ import annotations

import json
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
INTENT_NAMES = (
    "order_status",
    "cancel_order",
    "return",
    "refund",
    "shipping_time",
    "change_address",
    "payment_problem",
    "product_question",
    "warranty",
    "complaint",
    "human_handoff",
    "greeting",
    "goodbye",
    "out_of_scope",
)
# The demo forms: the slots each intent needs before the assistant acts or answers. A product
# question names no required product: a question about one the shop does not sell must reach
# retrieval and get "I do not know", not a request to name a product.
REQUIRED_SLOTS = {
    "order_status": ["order_number"],
    "cancel_order": ["order_number"],
    "change_address": ["order_number"],
}


class DataFileError(ValueError):
    """A line of a JSONL file is not a usable example; the message names file and line."""


def load_jsonl(path: Path | str, *, label_field: str = "intent") -> list[tuple[str, str]]:
    """(text, label) pairs from a JSONL file, each line checked."""
    path = Path(path)
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path.name}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise DataFileError(f"{path.name}:{number}: not a JSON object")
            text, label = row.get("text"), row.get(label_field)
            if not isinstance(text, str) or not text.strip():
                raise DataFileError(f"{path.name}:{number}:text: missing or empty")
            if not isinstance(label, str) or not label:
                raise DataFileError(f"{path.name}:{number}:{label_field}: missing")
            pairs.append((text.strip(), label))
    return pairs


def demo_split(split: str) -> list[tuple[str, str]]:
    return load_jsonl(DEMO_DIR / f"intents_{split}.jsonl")


def demo_sentiment() -> list[tuple[str, str]]:
    return load_jsonl(DEMO_DIR / "sentiment.jsonl", label_field="sentiment")


def demo_orders() -> list[dict]:
    return json.loads((DEMO_DIR / "orders.json").read_text(encoding="utf-8"))
