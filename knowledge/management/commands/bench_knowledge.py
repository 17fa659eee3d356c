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
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from benchmarks.harness.processes import ProcessFailed
from benchmarks.harness.session import exclusive
from benchmarks.knowledge import runner
from benchmarks.knowledge.benchmark import measure


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
                report = measure(
                    plan,
                    logs=logs,
                    repo_root=Path(settings.BASE_DIR),
                    celery_app=celery_app,
                    keep=keep,
                    progress=self._progress,
                )
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
