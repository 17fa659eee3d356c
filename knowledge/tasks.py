"""Celery tasks of the knowledge layer. Thin: they call services."""

from __future__ import annotations

from apps.jobs.runner import PermanentJobError, job_task

from .graphs.validation import GraphValidationError
from .models import Graph, ImportUpload
from .services import node_embeddings_compute, upload_import


@job_task(name="knowledge.tasks.graph_import_task")
def graph_import_task(job, progress) -> dict:
    """Import the job's upload into its graph (all or nothing), reporting rows done/total.

    Started by ``graph_import_start`` (POST /api/v1/knowledge/graphs/<id>/import/). Invalid
    files fail the job at once (no retry) with the problems in its error; a valid import
    deletes the upload and returns the counts and the graph's new version.
    """
    upload = ImportUpload.objects.select_related("graph").filter(pk=job.params["upload_id"]).first()
    if upload is None:
        raise PermanentJobError(f"upload {job.params['upload_id']} no longer exists")
    graph = upload.graph
    try:
        result = upload_import(tenant=job.tenant, upload=upload, progress=progress)
    except GraphValidationError as exc:
        raise PermanentJobError(str(exc)) from exc
    return {
        **result.as_dict(),
        "graph_id": str(graph.public_id),
        "result_url": f"/api/v1/knowledge/graphs/{graph.public_id}/",
    }


@job_task(name="knowledge.tasks.node_embeddings_task")
def node_embeddings_task(job, progress) -> dict:
    """Compute the stale node embeddings of the job's graph through the inference worker.

    Started by ``node_embeddings_start`` (POST /api/v1/knowledge/graphs/<id>/embeddings/) and
    by ``knowledge_seed``. Idempotent: fresh embeddings are skipped.
    """
    graph = Graph.objects.filter(pk=job.params["graph_id"]).first()
    if graph is None:
        raise PermanentJobError(f"graph {job.params['graph_id']} no longer exists")
    result = node_embeddings_compute(graph=graph, progress=progress)
    result["result_url"] = f"/api/v1/knowledge/graphs/{graph.public_id}/"
    return result
