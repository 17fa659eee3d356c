"""The load test's customer-service part (tests/load/): what it needs in the database before
the load starts. Named by the declaration (``load_parts``); runs in the runner's process (Django
set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

import json
from pathlib import Path


def prepare(tenant) -> dict:
    """The demo shop: graph with embeddings, intents, orders, a trained intent model (its
    embeddings through the inference worker, once); and customer messages to send: the demo's
    held-out examples, without the requests for a person (a handed-off conversation gets no
    assistant reply) and the goodbyes."""
    import apps.customer_service.demo as demo
    from apps.customer_service.services import demo_setup

    demo_setup(tenant=tenant)
    skip = {"human_handoff", "goodbye"}
    path = Path(demo.__file__).parent / "intents_test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {"messages": [r["text"] for r in rows if r["intent"] not in skip]}
