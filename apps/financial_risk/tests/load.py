"""The load test's part for the risk vertical (tests/load/): what it needs in the database before
the load starts. Named by the declaration (``load_parts``); runs in the runner's process (Django
set up), returns JSON-ready data for the locustfile, and is idempotent."""

from __future__ import annotations

APPLICANTS = 200


def prepare(tenant) -> dict:
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
