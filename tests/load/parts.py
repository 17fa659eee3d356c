"""What each part of the load test needs in the database before the load starts, and the
request bodies its simulated users send. Each ``prepare_*`` runs in the runner's process
(Django set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

import json
import random
from pathlib import Path

APPLICANTS = 200


def prepare_risk(tenant) -> dict:
    """The German credit champion (trained once, ~20 s) and real applications to score."""
    from apps.financial_risk.engine.data import german_credit
    from apps.financial_risk.services.demo import DEMO_MODEL, risk_demo_seed

    risk_demo_seed(tenant=tenant, log=lambda line: print(f"  {line}", flush=True))
    frame, schema, _ = german_credit()
    features = [c for c in schema.features if c not in schema.protected]
    rows = frame.sample(n=APPLICANTS, random_state=0)[features].to_dict(orient="records")
    applicants = [
        {
            name: float(value) if schema.kind(name) == "numeric" else value
            for name, value in row.items()
        }
        for row in rows
    ]
    return {"model_name": DEMO_MODEL, "applicants": applicants}


def risk_body(data: dict, rng: random.Random) -> dict:
    return {
        "applicant": rng.choice(data["applicants"]),
        "model_name": data["model_name"],
        "reference": f"load-{rng.randrange(10**9)}",
    }


def prepare_customer_service(tenant) -> dict:
    """The demo shop: graph with embeddings, intents, orders, a trained intent model (its
    embeddings through the inference worker, once); and customer messages to send: the demo's
    held-out examples, without the requests for a person (a handed-off conversation gets no
    assistant reply) and the goodbyes."""
    from apps.customer_service.services import demo_setup

    demo_setup(tenant=tenant)
    skip = {"human_handoff", "goodbye"}
    path = Path(apps_customer_service_demo()) / "intents_test.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {"messages": [r["text"] for r in rows if r["intent"] not in skip]}


def apps_customer_service_demo() -> str:
    import apps.customer_service.demo as demo

    return str(Path(demo.__file__).parent)


def prepare_medical(tenant) -> dict:
    """The medical knowledge graph (seeded once) and clinical notes with their identifiers
    (the de-identification evaluation set), structured on arrival by the API."""
    import apps.medical_records as medical
    from apps.medical_records.services.notes import medical_graph

    medical_graph(tenant=tenant)
    path = Path(medical.__file__).parent / "data" / "eval_phi.jsonl"
    notes = [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]
    return {"notes": notes}


def note_body(data: dict, rng: random.Random) -> dict:
    return {"text": rng.choice(data["notes"])}


ADAPTER_NAME = "loadtest-shop"


def prepare_adapter_chat(tenant) -> dict:
    """A promoted LoRA adapter of the chat model, and the demo's shop questions to ask it.

    The adapter is real peft weights on the real base model (rank 8 on SmolLM2's attention
    projections, random non-zero B matrices), registered as a promoted version directly:
    serving it costs what serving a trained one costs, while training one takes minutes of
    this machine's CPU (the adaptation app's own evaluation covers training). Made once per
    database; later runs reuse it."""
    from apps.adaptation.models import AdapterState, AdapterVersion
    from apps.adaptation.services.data import DEMO_PAIRS
    from apps.adaptation.tests.factories import adapter_files_for, adapter_version
    from models_runtime.adapters import base_model_folder

    if not AdapterVersion.objects.filter(
        tenant=tenant, name=ADAPTER_NAME, state=AdapterState.PROMOTED
    ).exists():
        files = adapter_files_for(base_model_folder("chat"), seed=7, rank=8)
        adapter_version(tenant, name=ADAPTER_NAME, state=AdapterState.PROMOTED, files=files)
    lines = DEMO_PAIRS.read_text(encoding="utf-8").splitlines()
    prompts = sorted({json.loads(line)["prompt"] for line in lines if line.strip()})
    return {"adapter": ADAPTER_NAME, "prompts": prompts}


def adapter_chat_body(data: dict, rng: random.Random) -> dict:
    # Uncached: a repeated greedy prompt would otherwise be answered from Redis.
    return {
        "messages": [{"role": "user", "content": rng.choice(data["prompts"])}],
        "adapter": data["adapter"],
        "max_new_tokens": 32,
        "cache": False,
    }


PARTS = {
    "risk": prepare_risk,
    "customer_service": prepare_customer_service,
    "medical": prepare_medical,
    "adapter_chat": prepare_adapter_chat,
}
