"""bench_knowledge's order of work: import a synthetic graph through the real import path,
load it, time neighbourhoods against networkx, the same over REST (a gunicorn it starts) and
retrieval (an inference worker it starts computes the embeddings); every process started here
is stopped in ``finally``, and the synthetic graph is removed unless asked to keep it."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from apps.accounts.benchmark import bench_tenant
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke
from benchmarks.harness.processes import platform_env, start_web, start_worker
from benchmarks.knowledge import runner
from benchmarks.knowledge.synthetic import synthetic_csv
from knowledge import cache, selectors, services

BENCH_TENANT = "bench-knowledge"
SYNTHETIC_GRAPH = "bench-synthetic"


def measure(
    plan: runner.Plan,
    *,
    logs: Path,
    repo_root: Path,
    celery_app,
    keep: bool,
    progress: Callable[[str], None],
) -> dict:
    """Every figure of bench_knowledge for ``plan``, as the command's last-line JSON object."""
    tenant = bench_tenant(slug=BENCH_TENANT, name="Knowledge benchmark")
    for old in tenant.knowledge_graphs.filter(name=SYNTHETIC_GRAPH):
        progress("removing the previous run's synthetic graph")
        services.graph_delete(graph=old)
    graph = services.graph_create(tenant=tenant, name=SYNTHETIC_GRAPH, domain="general")

    progress(f"generating {plan.nodes} nodes and {plan.edges} edges")
    files, _keys = synthetic_csv(plan.nodes, plan.edges)
    progress("importing through graph_import (parse, validate, COPY/upsert)")
    import_s, result = runner.import_graph(graph, files)
    if result.edges_changed != plan.edges or result.nodes_changed != plan.nodes:
        raise RuntimeError(f"import wrote {result}, expected {plan.nodes}/{plan.edges}")
    graph.refresh_from_db()
    reimport_s, again = runner.import_graph(graph, files)
    if again.nodes_changed or again.edges_changed:
        raise RuntimeError("re-importing the same files changed rows (not idempotent)")

    cold_s = runner.cold_load(graph)
    nodes = runner.sample_nodes(graph, plan.samples)
    progress(f"2-hop neighbourhoods on {len(nodes)} nodes")
    default_interval = cache.check_interval_s()
    hood = runner.neighbourhoods(graph, nodes, default_interval)
    strict = runner.neighbourhoods(graph, nodes, 0.0)

    progress("BM25 retrieval on the synthetic graph")
    index_s = runner.timed(lambda: selectors.knowledge_search(graph, "alpha", embedding_weight=0))
    bm25 = runner.retrieval(
        graph,
        [f"{w} bravo" for w in ("alpha", "cedar", "glacier", "river")] * 3,
        embedding_weight=0,
    )

    env = platform_env(
        max_batch_size=None,
        settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
    )
    created = api_key_create(tenant=tenant, name="bench", role=Role.ADMIN, rate_limit="1000000/min")
    web = worker = None
    try:
        progress("starting the web server")
        web, port = start_web(env, logs, repo_root)
        api = runner.api_neighbourhoods(port, created.token, graph, nodes[: plan.api_samples])
        web.stop()
        web = None
        progress("starting an inference worker; computing seed embeddings by job")
        worker = start_worker(env, logs, repo_root, "knowledge", celery_app)
        shop, _ = services.seed_graph_ensure(tenant=tenant, seed="customer_service")
        embedded = services.node_embeddings_compute(graph=shop)
        queries = runner.SEARCH_QUERIES[: plan.queries]
        hybrid = runner.retrieval(shop, queries, embedding_weight=0.5)
    finally:
        for process in (web, worker):
            if process is not None:
                process.stop()
        api_key_revoke(api_key=created.api_key)
    if not keep:
        progress("removing the synthetic graph")
        services.graph_delete(graph=graph)

    return {
        "plan": plan.name,
        "nodes": plan.nodes,
        "edges": plan.edges,
        "import_s": round(import_s, 3),
        "import_edges_per_s": round(plan.edges / import_s, 1),
        "import_rows_per_s": round((plan.nodes + plan.edges) / import_s, 1),
        "reimport_unchanged_s": round(reimport_s, 3),
        "cold_load_s": round(cold_s, 3),
        "version_check_interval_s": default_interval,
        "neighbourhood_p50_ms": round(hood["selector_p50_ms"], 4),
        "neighbourhood_p99_ms": round(hood["selector_p99_ms"], 4),
        "networkx_ego_p50_ms": round(hood["networkx_p50_ms"], 4),
        "networkx_ego_p99_ms": round(hood["networkx_p99_ms"], 4),
        "neighbourhood_over_networkx": round(hood["ratio"], 3),
        "neighbourhood_strict_p50_ms": round(strict["selector_p50_ms"], 4),
        "neighbourhood_over_networkx_strict": round(strict["ratio"], 3),
        "neighbourhood_api_p50_ms": round(api["p50_ms"], 3),
        "neighbourhood_api_p99_ms": round(api["p99_ms"], 3),
        "retrieval_p50_ms": round(hybrid["p50_ms"], 3),
        "retrieval_p99_ms": round(hybrid["p99_ms"], 3),
        "retrieval_graph_nodes": shop.nodes.count(),
        "retrieval_embedded_nodes": shop.nodes.count() - services.stale_embeddings(shop).count(),
        "embeddings_computed_this_run": embedded["embedded"],
        "retrieval_bm25_p50_ms": round(bm25["p50_ms"], 3),
        "search_index_build_s": round(index_s, 3),
        "machine": machine(),
    }


def machine() -> dict:
    vendor = connection.vendor
    version = ""
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    return {
        "description": f"{platform.machine()} {os.cpu_count()} CPU(s), {platform.system()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "database": f"{vendor} {version}".strip(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
