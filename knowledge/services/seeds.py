"""Seed graphs shipped as data files in ``knowledge/seeds/<seed>/`` (see its README).

Each folder has ``graph.json`` (the graph's name, domain, description, schema and the format
of its data files) and the data files. Loading is an idempotent upsert: running it again
changes nothing and leaves the version alone.
"""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.models import Graph

from .graphs import WriteResult, graph_ensure, graph_import

SEED_ROOT = Path(__file__).resolve().parent.parent / "seeds"
SEEDS = ("customer_service", "medical", "financial_risk")


def seed_definition(seed: str) -> dict:
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}; one of {', '.join(SEEDS)}")
    folder = SEED_ROOT / seed
    meta = json.loads((folder / "graph.json").read_text(encoding="utf-8"))
    meta["files"] = {
        name: (folder / name).read_text(encoding="utf-8") for name in meta.get("data_files", [])
    }
    return meta


def seed_graph_ensure(*, tenant, seed: str) -> tuple[Graph, WriteResult | None]:
    """The tenant's graph for ``seed``, created and loaded if needed (idempotent).

    The financial-risk vertical calls ``seed_graph_ensure(tenant=t, seed="financial_risk")``
    to get its fraud graph (schema: account, device, ip, phone, card, merchant) and then fills
    it with ``graph_upsert``."""
    meta = seed_definition(seed)
    graph = graph_ensure(
        tenant=tenant,
        name=meta["name"],
        domain=meta["domain"],
        description=meta.get("description", ""),
        schema=meta.get("schema") or {},
    )
    result = None
    if meta["files"]:
        result = graph_import(graph=graph, fmt=meta["format"], files=meta["files"])
    return graph, result


def seed_graphs_load(*, tenant) -> dict[str, tuple[Graph, WriteResult | None]]:
    """Every seed graph into ``tenant`` (``make run`` does this for the demo tenant)."""
    return {seed: seed_graph_ensure(tenant=tenant, seed=seed) for seed in SEEDS}
