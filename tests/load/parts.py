"""The load test's parts: the request bodies its simulated users send, and (``parts``) what each
part needs in the database before the load starts. A part's ``prepare(tenant)`` lives with its
vertical and is named by the vertical's declaration (``load_parts``); it runs in the runner's
process (Django set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

import random

from django.utils.module_loading import import_string

from apps.core.verticals import installed


def risk_body(data: dict, rng: random.Random) -> dict:
    return {
        "applicant": rng.choice(data["applicants"]),
        "model_name": data["model_name"],
        "reference": f"load-{rng.randrange(10**9)}",
    }


def note_body(data: dict, rng: random.Random) -> dict:
    return {"text": rng.choice(data["notes"])}


def adapter_chat_body(data: dict, rng: random.Random) -> dict:
    # Uncached: a repeated greedy prompt would otherwise be answered from Redis.
    return {
        "messages": [{"role": "user", "content": rng.choice(data["prompts"])}],
        "adapter": data["adapter"],
        "max_new_tokens": 32,
        "cache": False,
    }


def parts() -> dict:
    """Each part's prepare(tenant) -> dict, from the verticals' declarations (``load_parts``)."""
    return {
        name: import_string(vertical.path(path))
        for vertical in installed()
        for name, path in vertical.load_parts.items()
    }
