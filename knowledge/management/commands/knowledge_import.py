"""Import files into a tenant's graph from the command line: the path for files larger than
the API's request-body limit. Same service as the import job (validation, all or nothing)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from knowledge.graphs.formats import FORMATS
from knowledge.graphs.validation import GraphValidationError
from knowledge.services import graph_ensure, graph_import


class Command(BaseCommand):
    help = "Import node-link JSON, CSV (nodes.csv/edges.csv) or GraphML files into a graph."

    def add_arguments(self, parser):
        parser.add_argument(
            "files", nargs="+", help="files; CSV ones must be named nodes.csv/edges.csv"
        )
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--graph", required=True, help="graph name (created if missing)")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--domain", default="general")

    def handle(self, *args, files, tenant, graph, fmt, domain, **options):
        owner = Tenant.objects.filter(slug=tenant).first()
        if owner is None:
            raise CommandError(f"no tenant {tenant!r}")
        texts = {}
        for name in files:
            path = Path(name)
            try:
                texts[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read {name}: {exc}") from exc
        target = graph_ensure(tenant=owner, name=graph, domain=domain)

        def progress(done, total, message=""):
            self.stderr.write(f"{done}/{total} {message}")

        try:
            result = graph_import(graph=target, fmt=fmt, files=texts, progress=progress)
        except GraphValidationError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was imported") from exc
        self.stdout.write(
            f"graph {target.name!r} v{result.version}: {result.nodes} nodes "
            f"({result.nodes_changed} changed), {result.edges} edges "
            f"({result.edges_changed} changed)"
        )
