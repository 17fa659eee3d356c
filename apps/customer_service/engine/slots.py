"""Slot extractors: patterns (order number, e-mail) and knowledge-graph entity linking
(product). Each validates what it extracts; the dialogue carries slots across turns."""

from __future__ import annotations

import re

# Latin letters and digits bound a number; Chinese characters do not ("订单10045到了吗").
ORDER_NUMBER = re.compile(r"(?<![A-Za-z0-9_.-])#?(\d{5,8})(?![A-Za-z0-9_-])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# What the assistant asks when a form needs the slot.
QUESTIONS = {
    "order_number": "What is your order number? You find it in the order confirmation e-mail.",
    "product": "Which product is it about?",
    "email": "Which e-mail address did you order with?",
}


def extract_patterns(text: str) -> dict:
    """Order number and e-mail address mentioned in ``text``."""
    found = {}
    if match := EMAIL.search(text):
        found["email"] = match.group(0)
    scrubbed = EMAIL.sub(" ", text)  # digits inside an address are not an order number
    if match := ORDER_NUMBER.search(scrubbed):
        found["order_number"] = match.group(1)
    return found


def extract_product(links: list[dict]) -> dict:
    """The product among ``links`` (the shop graph's entity links for the message, exact,
    alias or fuzzy; the caller links them, so this core needs no database)."""
    if not links:
        return {}
    best = max(links, key=lambda link: (link["score"], link["end"] - link["start"]))
    return {"product": best["key"], "product_label": best["label"]}
