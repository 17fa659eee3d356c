"""Separate a reasoning model's ``<think>…</think>`` text from its answer."""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def split_thinking(text: str) -> tuple[str | None, str]:
    """Return ``(reasoning, answer)``; ``reasoning`` is None when the text holds no think block.

    Handles the three shapes models produce:
    - ``<think>r</think>a`` -> ``("r", "a")``
    - ``r</think>a`` (the chat template opened the block, as DeepSeek-R1's does) -> ``("r", "a")``
    - ``<think>r`` with no closing tag (generation stopped while thinking) -> ``("r", "")``
    """
    open_at = text.find(OPEN_TAG)
    close_at = text.find(CLOSE_TAG)
    if close_at != -1 and (open_at == -1 or open_at > close_at):
        # The opening tag was part of the prompt: everything before the closing tag is reasoning.
        return text[:close_at].strip(), text[close_at + len(CLOSE_TAG) :].strip()
    if open_at == -1:
        return None, text.strip()
    before = text[:open_at]
    after_open = text[open_at + len(OPEN_TAG) :]
    close_at = after_open.find(CLOSE_TAG)
    if close_at == -1:
        return after_open.strip(), before.strip()
    reasoning = after_open[:close_at].strip()
    answer = (before + after_open[close_at + len(CLOSE_TAG) :]).strip()
    return reasoning, answer
