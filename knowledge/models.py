"""Graphs, nodes and edges, stored relationally; code reads them as networkx MultiDiGraphs.

Only the Graph row names its tenant: nodes and edges belong to exactly one graph, so scoping a
query by ``graph__tenant`` is the whole of tenant isolation (and import rows stay narrow, which
matters at 250,000 edges).

A graph's key is its random ``public_id`` itself (a UUID primary key): a graph's id is what
clients hold most, in URLs, job params and imports, so the one id is the same inside and
outside the database. Nodes and edges keep integer keys inside the database (the edge table's
foreign keys and the bulk COPY stay narrow) and show only their random ``public_id`` outside it
(``apps.core.public_ids``).
"""

from __future__ import annotations

import uuid

from django.db import connection, models

from apps.core.public_ids import PublicIdModel


class Domain(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    MEDICAL = "medical", "Medical"
    FINANCIAL_RISK = "financial_risk", "Financial risk"
    GENERAL = "general", "General"


class Graph(PublicIdModel):
    """A tenant's typed graph, keyed by its opaque ``public_id`` (``graph.pk`` is that UUID).
    ``version`` grows by one with every committed write made through ``knowledge.services``;
    per-process networkx copies are rebuilt when it changes.

    ``schema`` (optional) restricts node types and edge types:
    ``{"node_types": ["account", ...], "edge_types": {"uses_device": [["account"], ["device"]]}}``
    — each edge type maps to its allowed source types and target types (empty list: any).
    """

    public_id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text=(
            "The graph's opaque id and primary key: the only id the API, pages and audit show."
        ),
    )
    tenant = models.ForeignKey(
        "accounts.Tenant", on_delete=models.CASCADE, related_name="knowledge_graphs"
    )
    domain = models.CharField(max_length=32, choices=Domain.choices, default=Domain.GENERAL)
    name = models.SlugField(max_length=100, help_text="Unique within the tenant, e.g. medical")
    description = models.TextField(blank=True, default="")
    schema = models.JSONField(default=dict, blank=True)
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="knowledge_graph_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


def graph_key(graph) -> uuid.UUID:
    """A graph's key from a Graph row, its UUID or the UUID's text (URLs, job params): one type,
    so per-process caches keyed by it never hold one graph twice."""
    value = getattr(graph, "pk", graph)
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def graph_sql_param(graph):
    """A graph's key as a raw-SQL parameter of this connection: PostgreSQL takes the UUID,
    SQLite stores its 32 hex digits (as Django's UUIDField does there)."""
    key = graph_key(graph)
    return key if connection.features.has_native_uuid_field else key.hex


class Node(PublicIdModel):
    """A typed node, identified by ``key`` within its graph (imports upsert by key).

    ``text_hash`` fingerprints the searchable text (label, aliases, properties); the stored
    ``embedding`` is current only while ``embedding_hash`` equals it, so an edited node is
    re-embedded by the next embeddings job and never searched with a stale vector.
    """

    # No index of its own: the unique (graph, key) index leads with it.
    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="nodes", db_index=False)
    key = models.CharField(max_length=255)
    type = models.CharField(max_length=64)  # noqa: A003 - the domain's word for it
    label = models.CharField(max_length=500, blank=True, default="")
    aliases = models.JSONField(default=list, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    text_hash = models.CharField(max_length=32, blank=True, default="")
    embedding = models.JSONField(null=True, blank=True)
    embedding_hash = models.CharField(max_length=32, blank=True, default="")
    embedding_model = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["graph", "key"]
        constraints = [
            models.UniqueConstraint(fields=["graph", "key"], name="knowledge_node_unique_key")
        ]
        indexes = [models.Index(fields=["graph", "type"])]

    def __str__(self) -> str:
        return f"{self.type}:{self.key}"


class Edge(PublicIdModel):
    """A typed, directed edge; one per (source, type, target), which is its upsert key.

    Its three foreign keys carry no database constraint (``db_constraint=False``): checking
    three constraints per row at commit added about 10 s (a third of its time, then) to a
    250,000-edge import on the 2-core test machine.
    Integrity holds by construction instead: edges are inserted only by joining their endpoint
    keys to stored nodes (or with ids just read), every write and node deletion of a graph holds
    that graph's row lock, and deletions cascade through Django's collector (``on_delete``).
    """

    # No index of its own: the unique (graph, source, target, type) index leads with it.
    graph = models.ForeignKey(
        Graph, on_delete=models.CASCADE, related_name="edges", db_index=False, db_constraint=False
    )
    type = models.CharField(max_length=64)  # noqa: A003
    # No index of its own either: (graph, source) is the unique index's prefix, and every
    # query by source (neighbours, node deletion) names the graph.
    source = models.ForeignKey(
        Node,
        on_delete=models.CASCADE,
        related_name="out_edges",
        db_constraint=False,
        db_index=False,
    )
    target = models.ForeignKey(
        Node, on_delete=models.CASCADE, related_name="in_edges", db_constraint=False
    )
    properties = models.JSONField(default=dict, blank=True)
    weight = models.FloatField(default=1.0)

    class Meta:
        ordering = ["graph", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["graph", "source", "target", "type"], name="knowledge_edge_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -[{self.type}]-> {self.target_id}"


class ImportUpload(models.Model):
    """Files waiting for an import job (the job's params carry only this row's id).

    Deleted when the import succeeds; a failed import keeps it so the error can be read
    against the exact text that was sent.
    """

    graph = models.ForeignKey(Graph, on_delete=models.CASCADE, related_name="uploads")
    format = models.CharField(max_length=16)  # noqa: A003
    files = models.JSONField(help_text="file name -> text")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.format} upload for graph {self.graph_id}"
