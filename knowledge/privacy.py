"""The knowledge layer's data in the platform's lifecycle (``PRIVACY_DATA_KINDS``).

Graphs are filled by the verticals and by users (imports, API upserts): a node's key, label,
aliases or properties may name a data subject, and its embedding is derived from that text.
The verticals erase the nodes they know they derived (chunks of a document, a fraud account's
identifiers); this kind sweeps whatever else names the subject, for every kind of subject:

- a node whose key is the identifier (or ``<type>:<identifier>``), whose label or an alias is
  it (any case), or (identifiers of 6 characters or more, too long to be an ordinary word)
  whose label or properties contain it: deleted with its edges and embedding, the graph's
  version bumped so every cached copy is rebuilt;
- an import upload whose files contain it (identifiers of 6 characters or more).

Retention expires import uploads (the raw files of finished imports); tenant erasure deletes
every graph of the tenant.
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Q

from apps.data_lifecycle.kinds import (
    ANY_SUBJECT,
    DataKind,
    delete_batch,
    deleted_counts,
    export_rows,
)

from .models import Graph, ImportUpload, Node
from .services import nodes_delete

MIN_SUBSTRING = 6


def _alias_is(subject_id: str, graph) -> Q:
    """Nodes with ``subject_id`` as one of their aliases, exactly. PostgreSQL answers a JSON
    containment lookup; SQLite has none, so rows whose JSON text holds the encoded string are
    read and their lists checked (a substring alone would erase "Ann Lee Jr" for "Ann Lee")."""
    if connection.features.supports_json_field_contains:
        return Q(aliases__contains=[subject_id])
    candidates = Node.objects.filter(graph=graph, aliases__icontains=json.dumps(subject_id))
    return Q(pk__in=[pk for pk, aliases in candidates.values_list("pk", "aliases")
                     if subject_id in (aliases or [])])  # fmt: skip


def _matching(subject_id: str, graph) -> Q:
    match = Q(key=subject_id) | Q(key__endswith=f":{subject_id}") | Q(label__iexact=subject_id)
    match |= _alias_is(subject_id, graph)
    if len(subject_id) >= MIN_SUBSTRING:
        match |= Q(label__icontains=subject_id) | Q(properties__icontains=subject_id)
    return match


def _erase_subject(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    if not subject_id:
        return {}
    counts: dict[str, int] = {}
    for graph in Graph.objects.filter(tenant=tenant):
        keys = list(
            Node.objects.filter(_matching(subject_id, graph), graph=graph).values_list(
                "key", flat=True
            )
        )
        if keys:
            deleted = nodes_delete(graph=graph, keys=keys)
            counts[Node._meta.label] = counts.get(Node._meta.label, 0) + deleted
    if len(subject_id) >= MIN_SUBSTRING:
        uploads = ImportUpload.objects.filter(graph__tenant=tenant, files__icontains=subject_id)
        counts.update(deleted_counts(uploads))
    return counts


def _expire_uploads(tenant, before, limit) -> int:
    uploads = ImportUpload.objects.filter(graph__tenant=tenant, created_at__lt=before)
    return delete_batch(uploads, limit)


def _export(tenant):
    yield from export_rows("knowledge_graph", Graph.objects.filter(tenant=tenant))
    yield from export_rows("knowledge_node", Node.objects.filter(graph__tenant=tenant))


DATA_KINDS = [
    DataKind(
        name="knowledge.graphs",
        default_days=30,  # import uploads; nodes go with erasure or with their source
        expire=_expire_uploads,
        erase_tenant=lambda tenant: deleted_counts(Graph.objects.filter(tenant=tenant)),
        export=_export,
        erase_subject=_erase_subject,
        subject_kinds=(ANY_SUBJECT,),
    )
]
