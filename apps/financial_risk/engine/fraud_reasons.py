"""Why a transaction scored high: the features that pushed its score up most, each as a
readable phrase from its declaration (no Django here)."""

from __future__ import annotations

import numpy as np

from .fraud_features import CHANNELS, FEATURES


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 86400:.0f} days"


def phrase(name: str, value: float) -> str:
    declaration = next(f for f in FEATURES if f.name == name)
    if name == "seconds_since_last" and value < 0:
        return "the account's first transaction"
    channel = CHANNELS[int(value)] if name == "channel" and 0 <= value < len(CHANNELS) else "?"
    return declaration.phrase.format(v=value, pct=value * 100, ago=_ago(value), channel=channel)


def reasons(names: list[str], values, contributions, *, top: int = 3) -> list[dict]:
    """The features that pushed the score up most, each with a readable phrase."""
    order = np.argsort(-np.asarray(contributions))
    out = []
    for j in order[:top]:
        if contributions[j] <= 0:
            break
        out.append(
            {
                "feature": names[j],
                "value": round(float(values[j]), 4),
                "contribution": round(float(contributions[j]), 4),
                "phrase": phrase(names[j], float(values[j])),
            }
        )
    return out
