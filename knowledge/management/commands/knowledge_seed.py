"""Load the seed graphs (knowledge/seeds/) into a tenant; idempotent. ``make run`` runs it for
the demo tenant."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from knowledge.services import node_embeddings_start, seed_graphs_load, stale_embeddings


class Command(BaseCommand):
    help = "Load the customer-service, medical and financial-risk seed graphs into a tenant."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="demo", help="tenant slug (default: demo)")
        parser.add_argument(
            "--embeddings",
            choices=["job", "skip"],
            default="job",
            help="queue a job computing missing node embeddings (default) or skip it",
        )

    def handle(self, *args, tenant: str, embeddings: str, **options):
        target = Tenant.objects.filter(slug=tenant).first()
        if target is None:
            raise CommandError(f"no tenant {tenant!r} (run seed_demo first)")
        for seed, (graph, result) in seed_graphs_load(tenant=target).items():
            changed = (result.nodes_changed + result.edges_changed) if result else 0
            counts = f"{graph.nodes.count()} nodes, {graph.edges.count()} edges"
            self.stdout.write(
                f"knowledge seed {seed}: graph {graph.name!r} v{graph.version} "
                f"({counts}; {changed} rows changed)"
            )
            if embeddings == "job" and stale_embeddings(graph).exists():
                job = node_embeddings_start(graph=graph)
                self.stdout.write(f"  embeddings job {job.pk} ({job.state})")
