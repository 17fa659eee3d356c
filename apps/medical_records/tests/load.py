"""The load test's part for the medical vertical (tests/load/): what it needs in the database before
the load starts. Named by the declaration (``load_parts``); runs in the runner's process (Django
set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

import json
from pathlib import Path


def prepare(tenant) -> dict:
    """The medical knowledge graph (seeded once) and clinical notes with their identifiers
    (the de-identification evaluation set), structured on arrival by the API."""
    import apps.medical_records as medical
    from apps.medical_records.services.notes import medical_graph

    medical_graph(tenant=tenant)
    path = Path(medical.__file__).parent / "data" / "eval_phi.jsonl"
    notes = [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    return {"notes": notes}
