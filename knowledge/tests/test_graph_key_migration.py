"""Migration knowledge.0003 (a graph's key becomes its opaque ``public_id``) keeps every node,
edge and import upload on its graph, on PostgreSQL (CI, production) and on SQLite (``make
run``). Each engine gets a scratch database migrated in a subprocess up to 0002, filled through
the historical models with two graphs, then migrated to 0003 and read back."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys, uuid
import django
django.setup()
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

def migrate(name):
    executor = MigrationExecutor(connection)
    executor.migrate([("knowledge", name)])
    return MigrationExecutor(connection).loader.project_state(("knowledge", name)).apps

old = migrate("0002_op17_public_ids")
Tenant = old.get_model("accounts", "Tenant")
Graph, Node, Edge = (old.get_model("knowledge", n) for n in ("Graph", "Node", "Edge"))
Upload = old.get_model("knowledge", "ImportUpload")
tenant = Tenant.objects.create(name="t", slug="t", digest_salt="s")
before = {}
for name, size in (("first", 3), ("second", 4)):
    graph = Graph.objects.create(tenant=tenant, name=name, public_id=uuid.uuid4())
    nodes = [Node.objects.create(graph=graph, key=f"{name}{i}", type="t", public_id=uuid.uuid4())
             for i in range(size)]
    for a, b in zip(nodes, nodes[1:]):
        Edge.objects.create(graph=graph, source=a, target=b, type="next", public_id=uuid.uuid4())
    Upload.objects.create(graph=graph, format="csv", files={"nodes.csv": name})
    before[str(graph.public_id)] = {"id": graph.id, "nodes": sorted(n.key for n in nodes)}

new = migrate("0003_graph_public_id_key")
Graph, Node, Edge = (new.get_model("knowledge", n) for n in ("Graph", "Node", "Edge"))
Upload = new.get_model("knowledge", "ImportUpload")
after = {}
for graph in Graph.objects.all():
    after[str(graph.pk)] = {
        "nodes": sorted(Node.objects.filter(graph=graph).values_list("key", flat=True)),
        "edges_on_own_nodes": all(
            e.source.graph_id == graph.pk and e.target.graph_id == graph.pk
            for e in Edge.objects.filter(graph=graph)
        ),
        "edges": Edge.objects.filter(graph=graph).count(),
        "uploads": list(Upload.objects.filter(graph=graph).values_list("files", flat=True)),
        "pk_is_public_id": graph.pk == graph.public_id,
    }
print(json.dumps({"before": before, "after": after}))
"""


def _server(sql: str) -> None:
    """One statement on the test database's server (CREATE/DROP DATABASE need autocommit)."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def _scratch_url(engine: str, tmp_path) -> tuple[str, str | None]:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}", None
    db = connection.settings_dict
    name = f"{str(db['NAME']).removeprefix('test_')}_graphkey_{secrets.token_hex(3)}"
    _server(f'CREATE DATABASE "{name}"')
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{name}", name


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_every_node_edge_and_upload_stays_on_its_graph(engine, tmp_path):
    url, scratch = _scratch_url(engine, tmp_path)
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
            },
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        if scratch:
            _server(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    before, after = report["before"], report["after"]
    assert set(after) == set(before)  # each graph is now keyed by the public id it had
    for key, graph in after.items():
        assert graph["pk_is_public_id"]
        assert graph["nodes"] == before[key]["nodes"]
        assert graph["edges"] == len(graph["nodes"]) - 1 and graph["edges_on_own_nodes"]
        assert len(graph["uploads"]) == 1
