"""Long graph work as jobs (``apps.jobs``): imports and embedding computation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from django.db import transaction
from django.db.models import F

from apps.audit.services import audit_event_record
from apps.core.upload_guard import check_cell, check_count, check_record
from apps.jobs.models import Job
from apps.jobs.services import job_create
from knowledge.graphs.formats import parse
from knowledge.graphs.records import NodeRecord, node_search_text
from knowledge.graphs.validation import Problems, check_batch
from knowledge.models import Graph, ImportUpload, Node
from models_runtime import client

from .graphs import WriteResult, graph_import, graph_version_bump, node_types_of

IMPORT_JOB_KIND = "knowledge.import"
IMPORT_TASK_NAME = "knowledge.tasks.graph_import_task"
EMBED_JOB_KIND = "knowledge.embeddings"
EMBED_TASK_NAME = "knowledge.tasks.node_embeddings_task"
EMBED_BATCH = 64
# Node texts are cut here before embedding: MiniLM reads 256 word pieces at most anyway.
EMBED_TEXT_CHARS = 1000


def records_guard(nodes, edges) -> None:
    """The upload guard's caps on what an import's files parsed into, whatever the format (a
    one-line GraphML or node-link file holds any number of records): nodes and edges are rows
    of their file, properties columns, and every text a cell (413 naming the file and limit)."""
    rows = Counter(record.file for record in (*nodes, *edges))
    for name, count in rows.items():
        check_count("max_rows", count, field=name or "files")
    for record in (*nodes, *edges):
        field = record.file or "files"
        where = f"at line {record.line}"
        texts = (
            (record.key, record.type, record.label, *record.aliases)
            if isinstance(record, NodeRecord)
            else (record.source, record.target, record.type)
        )
        for text in texts:
            check_cell(str(text), field=field, where=where)
        check_record(record.properties, field=field, where=where)


def graph_import_check(*, graph: Graph, fmt: str, files: Mapping[str, str]) -> tuple[int, int]:
    """Parse and validate without writing (what a request does before queueing the job, so
    that a bad file is answered at once). Returns (nodes, edges); raises GraphValidationError."""
    problems = Problems()
    nodes, edges = parse(fmt, files, problems)
    records_guard(nodes, edges)
    problems.raise_if_any()
    check_batch(
        nodes,
        edges,
        problems=problems,
        schema=graph.schema,
        existing_types=lambda keys: node_types_of(graph.pk, keys),
    )
    problems.raise_if_any()
    return len(nodes), len(edges)


def graph_import_start(*, graph: Graph, fmt: str, files: Mapping[str, str]) -> Job:
    """Keep the files and queue the import job (sent when the transaction commits); the job
    reports rows done/total and ends with the counts and the graph's new version."""
    with transaction.atomic():
        upload = ImportUpload.objects.create(graph=graph, format=fmt, files=dict(files))
        job = job_create(
            tenant=graph.tenant,
            kind=IMPORT_JOB_KIND,
            task_name=IMPORT_TASK_NAME,
            params={"graph_id": str(graph.pk), "upload_id": upload.pk, "format": fmt},
        )
    job.refresh_from_db()  # with in-process tasks it has already run
    return job


def upload_import(*, tenant, upload: ImportUpload, progress: Callable | None = None) -> WriteResult:
    """Run an import job's upload into its graph (all or nothing; ``GraphValidationError`` for
    invalid files), record ``knowledge.graph.import`` and delete the upload.

    The event is recorded after the import's own transaction: an ``audited`` block around it
    would hold the job's progress updates invisible until the end."""
    graph = upload.graph
    result = graph_import(graph=graph, fmt=upload.format, files=upload.files, progress=progress)
    audit_event_record(
        tenant=tenant,
        action="knowledge.graph.import",
        resource_type="knowledge.graph",
        resource_id=str(graph.public_id),
        row_count=result.nodes + result.edges,
        details=result.as_dict(),
    )
    upload.delete()
    return result


def node_embeddings_start(*, graph: Graph) -> Job:
    """Queue the computation of the graph's missing or stale node embeddings."""
    with transaction.atomic():
        job = job_create(
            tenant=graph.tenant,
            kind=EMBED_JOB_KIND,
            task_name=EMBED_TASK_NAME,
            params={"graph_id": str(graph.pk)},
        )
    job.refresh_from_db()
    return job


def stale_embeddings(graph: Graph):
    """Nodes whose stored embedding is missing or was made from other text."""
    return Node.objects.filter(graph=graph).exclude(embedding_hash=F("text_hash"))


def node_embeddings_compute(
    *, graph: Graph, model: str = "embed", progress: Callable | None = None
) -> dict:
    """Embed every stale node through ``models_runtime`` (batches of EMBED_BATCH) and store the
    vectors with the text fingerprint they were made from; bumps the version once at the end
    (search indexes are per version). Model calls happen outside any transaction."""
    pending = list(
        stale_embeddings(graph).values_list("id", "label", "aliases", "properties", "text_hash")
    )
    total = len(pending)
    done = 0
    model_name = ""
    for start in range(0, total, EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        texts = [
            node_search_text(label, aliases, props)[:EMBED_TEXT_CHARS]
            for _, label, aliases, props, _ in batch
        ]
        result = client.embed(texts, tenant_id=graph.tenant_id, model=model)
        model_name = f"{result.model}@{result.revision}"
        rows = [
            Node(
                id=pk,
                embedding=[round(float(x), 6) for x in vector],
                embedding_hash=text_hash,
                embedding_model=model_name,
            )
            for (pk, _, _, _, text_hash), vector in zip(batch, result.outputs, strict=True)
        ]
        with transaction.atomic():
            Node.objects.bulk_update(rows, ["embedding", "embedding_hash", "embedding_model"])
        done += len(batch)
        if progress:
            progress(done, total, "nodes embedded")
    if done:
        with transaction.atomic():
            version = graph_version_bump(graph_id=graph.pk)
    else:
        version = graph.version
    return {
        "graph_id": str(graph.public_id),
        "embedded": done,
        "model": model_name,
        "version": version,
    }
