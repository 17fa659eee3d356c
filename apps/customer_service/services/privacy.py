"""Masking personal data in what the assistant stores for analytics (``Turn.masked_text``,
review items, reports, training pairs) through ``apps.privacy``: the same pre-checked, cached
path the logging filter uses, so a message without anything personal costs no Presidio run."""

from __future__ import annotations

from apps.privacy.logmask import mask_for_log


def mask_text(text: str) -> str:
    return mask_for_log(text) if text else text
