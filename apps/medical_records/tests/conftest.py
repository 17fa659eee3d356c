"""Fixtures of the medical-records tests: clients per role, a demo note, a grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.accounts.roles import Role

DEMO_NOTE = (Path(__file__).resolve().parents[1] / "demo" / "note.txt").read_text()


@pytest.fixture
def clinician(tenant, make_api_client):
    return make_api_client(tenant, Role.CLINICIAN)


@pytest.fixture
def demo_note():
    return DEMO_NOTE


@pytest.fixture(scope="session")
def extractor():
    """The pipeline over the seed ontology and the full vocabularies, built once per test
    session (the vocabularies load once per process anyway): for tests that need no database."""
    import csv
    import io
    import json

    import networkx as nx

    from apps.medical_records.engine.ontology import concepts_from_networkx
    from apps.medical_records.engine.pipeline import Extractor
    from knowledge.services.seeds import seed_definition

    graph = nx.DiGraph()
    for row in csv.DictReader(io.StringIO(seed_definition("medical")["files"]["nodes.csv"])):
        graph.add_node(
            row["key"],
            type=row["type"],
            label=row["label"],
            aliases=[a for a in row["aliases"].split("|") if a],
            properties=json.loads(row["properties"] or "{}"),
        )
    return Extractor(concepts_from_networkx(graph))
