"""The load test's part for the adaptation app (tests/load/): what it needs in the database before
the load starts. Named by the declaration (``load_parts``); runs in the runner's process (Django
set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

import json

# The parts' bodies (tests/load/parts.py) name it from the data returned here.
NAME = "loadtest-shop"


def prepare(tenant) -> dict:
    """A promoted LoRA adapter of the chat model, and the demo's shop questions to ask it.

    The adapter is real peft weights on the real base model (rank 8 on SmolLM2's attention
    projections, random non-zero B matrices), registered as a promoted version directly:
    serving it costs what serving a trained one costs, while training one takes minutes of
    this machine's CPU (the adaptation app's own evaluation covers training). Made once per
    database; later runs reuse it."""
    from apps.adaptation.models import AdapterState, AdapterVersion
    from apps.adaptation.services.data import DEMO_PAIRS
    from apps.adaptation.tests.factories import adapter_files_for, adapter_version
    from apps.registry.models import ModelState
    from models_runtime.adapters import base_model_folder

    # Stored as the registry's champion; the factory translates the API's word "promoted".
    if not AdapterVersion.objects.filter(
        tenant=tenant, name=NAME, state=ModelState.CHAMPION
    ).exists():
        files = adapter_files_for(base_model_folder("chat"), seed=7, rank=8)
        adapter_version(tenant, name=NAME, state=AdapterState.PROMOTED, files=files)
    lines = DEMO_PAIRS.read_text(encoding="utf-8").splitlines()
    prompts = sorted({json.loads(line)["prompt"] for line in lines if line.strip()})
    return {"adapter": NAME, "prompts": prompts}
