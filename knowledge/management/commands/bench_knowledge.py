"""``manage.py bench_knowledge [--smoke]``: the knowledge layer against raw networkx.

Builds a synthetic graph (50,000 nodes, 250,000 edges; ``--smoke``: 2,000 and 10,000) through
the real import path into the configured database and measures the import rate, the cold load
into networkx, 2-hop neighbourhoods through the selector against ``networkx.ego_graph`` on the
same in-memory graph, the same neighbourhoods over REST (a gunicorn it starts), and hybrid
retrieval (BM25 + embeddings computed by the embeddings job through an inference worker it
starts). Stops what it started, prints a table, and as its last line one JSON object. Exits
non-zero if it cannot measure.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.accounts.benchmark import bench_tenant
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke
from benchmarks.harness.processes import ProcessFailed, platform_env, start_web, start_worker
from benchmarks.harness.session import exclusive
from benchmarks.knowledge import runner
from benchmarks.knowledge.synthetic import synthetic_csv
from knowledge import cache, selectors, services

BENCH_TENANT = "bench-knowledge"
SYNTHETIC_GRAPH = "bench-synthetic"


class Command(BaseCommand):
    help = "Benchmark imports, neighbourhood queries (vs networkx.ego_graph), REST and retrieval."

    def add_arguments(self, parser):
        parser.add_argument("--smoke", action="store_true", help="a small graph, for CI")
        parser.add_argument("--keep", action="store_true", help="keep the synthetic graph")
        parser.add_argument("--log-dir", default=None, help="keep process logs here")

    def handle(self, *args, smoke: bool, keep: bool, log_dir, **options):
        plan = runner.SMOKE if smoke else runner.FULL
        missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
        if missing:
            raise CommandError(
                f"bench_knowledge needs {' and '.join(missing)}: it measures the configured "
                "database and starts a web server and an inference worker on the broker"
            )
        celery_app = current_app._get_current_object()
        logs = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="bench-knowledge-"))
        logs.mkdir(parents=True, exist_ok=True)
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        try:
            with exclusive(os.environ["REDIS_URL"], progress=self._progress):
                call_command("migrate", interactive=False, verbosity=0)
                report = self._measure(plan, logs, celery_app, keep)
        except (ProcessFailed, RuntimeError) as exc:
            self.stderr.write(f"logs kept in {logs}")
            raise CommandError(f"cannot measure: {exc}") from exc
        finally:
            signal.signal(signal.SIGTERM, previous)
        if not log_dir:
            shutil.rmtree(logs, ignore_errors=True)
        for line in self._table(report):
            self.stdout.write(line)
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    # ------------------------------------------------------------------ steps
    def _measure(self, plan, logs: Path, celery_app, keep: bool) -> dict:
        tenant = self._tenant()
        for old in tenant.knowledge_graphs.filter(name=SYNTHETIC_GRAPH):
            self._progress("removing the previous run's synthetic graph")
            services.graph_delete(graph=old)
        graph = services.graph_create(tenant=tenant, name=SYNTHETIC_GRAPH, domain="general")

        self._progress(f"generating {plan.nodes} nodes and {plan.edges} edges")
        files, _keys = synthetic_csv(plan.nodes, plan.edges)
        self._progress("importing through graph_import (parse, validate, COPY/upsert)")
        import_s, result = runner.import_graph(graph, files)
        if result.edges_changed != plan.edges or result.nodes_changed != plan.nodes:
            raise RuntimeError(f"import wrote {result}, expected {plan.nodes}/{plan.edges}")
        graph.refresh_from_db()
        reimport_s, again = runner.import_graph(graph, files)
        if again.nodes_changed or again.edges_changed:
            raise RuntimeError("re-importing the same files changed rows (not idempotent)")

        cold_s = runner.cold_load(graph)
        nodes = runner.sample_nodes(graph, plan.samples)
        self._progress(f"2-hop neighbourhoods on {len(nodes)} nodes")
        default_interval = cache.check_interval_s()
        hood = runner.neighbourhoods(graph, nodes, default_interval)
        strict = runner.neighbourhoods(graph, nodes, 0.0)

        self._progress("BM25 retrieval on the synthetic graph")
        index_s = runner.timed(
            lambda: selectors.knowledge_search(graph, "alpha", embedding_weight=0)
        )
        bm25 = runner.retrieval(
            graph,
            [f"{w} bravo" for w in ("alpha", "cedar", "glacier", "river")] * 3,
            embedding_weight=0,
        )

        env = platform_env(
            max_batch_size=None,
            settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local"),
        )
        api_key, token = self._api_key(tenant)
        web = worker = None
        try:
            self._progress("starting the web server")
            web, port = start_web(env, logs, Path(settings.BASE_DIR))
            api = runner.api_neighbourhoods(port, token, graph, nodes[: plan.api_samples])
            web.stop()
            web = None
            self._progress("starting an inference worker; computing seed embeddings by job")
            worker = start_worker(env, logs, Path(settings.BASE_DIR), "knowledge", celery_app)
            shop, _ = services.seed_graph_ensure(tenant=tenant, seed="customer_service")
            embedded = services.node_embeddings_compute(graph=shop)
            queries = runner.SEARCH_QUERIES[: plan.queries]
            hybrid = runner.retrieval(shop, queries, embedding_weight=0.5)
        finally:
            for process in (web, worker):
                if process is not None:
                    process.stop()
            api_key_revoke(api_key=api_key)
        if not keep:
            self._progress("removing the synthetic graph")
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
            "retrieval_embedded_nodes": shop.nodes.count()
            - services.stale_embeddings(shop).count(),
            "embeddings_computed_this_run": embedded["embedded"],
            "retrieval_bm25_p50_ms": round(bm25["p50_ms"], 3),
            "search_index_build_s": round(index_s, 3),
            "machine": self._machine(),
        }

    def _tenant(self):
        return bench_tenant(slug=BENCH_TENANT, name="Knowledge benchmark")

    def _api_key(self, tenant):
        created = api_key_create(
            tenant=tenant, name="bench", role=Role.ADMIN, rate_limit="1000000/min"
        )
        return created.api_key, created.token

    def _machine(self) -> dict:
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

    def _table(self, r: dict) -> list[str]:
        return [
            f"{'measure':<34}{'value':>14}",
            f"{'import (edges/s)':<34}{r['import_edges_per_s']:>14,.0f}",
            f"{'import total (s)':<34}{r['import_s']:>14.2f}",
            f"{'re-import, nothing changed (s)':<34}{r['reimport_unchanged_s']:>14.2f}",
            f"{'cold load into networkx (s)':<34}{r['cold_load_s']:>14.2f}",
            f"{'2-hop selector p50 (ms)':<34}{r['neighbourhood_p50_ms']:>14.3f}",
            f"{'2-hop ego_graph p50 (ms)':<34}{r['networkx_ego_p50_ms']:>14.3f}",
            f"{'selector / ego_graph':<34}{r['neighbourhood_over_networkx']:>14.3f}",
            f"{'  same, version read every query':<34}"
            f"{r['neighbourhood_over_networkx_strict']:>14.3f}",
            f"{'2-hop over REST p50 (ms)':<34}{r['neighbourhood_api_p50_ms']:>14.2f}",
            f"{'hybrid retrieval p50 (ms)':<34}{r['retrieval_p50_ms']:>14.2f}",
            f"{'BM25 retrieval, big graph p50 (ms)':<34}{r['retrieval_bm25_p50_ms']:>14.2f}",
        ]

    def _progress(self, line: str) -> None:
        self.stderr.write(line)
        self.stderr.flush()
