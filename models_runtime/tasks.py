"""The inference worker's tasks (queues ``inference.chat``, ``.embed``, ``.classify``: each
request on its model's queue, routing.py).

Run them in a worker started with the threads pool (``-P threads -c 64``): each task thread
submits its request to the model's batcher and waits, so concurrent tasks meet in one batch.
A task on this queue never waits on another task.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

from apps.jobs.runner import PermanentJobError, job_task

from . import adapters, routing, streams
from .backends.base import ChatRequest
from .errors import InvalidInput, ModelsRuntimeError, QueueFull
from .metering import meter, usage_of, write_usage
from .metrics import REQUESTS, observe_generation, observe_gpu_memory, observe_outcome
from .packing import pack_vectors
from .runtime import get_runtime

logger = logging.getLogger(__name__)


def runtime():
    return get_runtime(settings.MODELS_RUNTIME)


def _revision(rt, model: str) -> str:
    for status in rt.registry.status():
        if status.name == model:
            return status.revision or ""
    return ""


def _error(exc: Exception) -> dict:
    error = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, QueueFull):
        error["retry_after"] = exc.retry_after
    return {"ok": False, "error": error}


def _chat_output(result) -> dict:
    return {
        "text": result.text,
        "reasoning": result.reasoning,
        "finish_reason": result.finish_reason,
    }


@shared_task(name="models_runtime.tasks.infer_task", acks_late=True)
def infer_task(
    *, model: str, kind: str, payload: dict, tenant_id: str, stream_channel: str | None = None
) -> dict:
    """Run one request (kind ``chat``, ``embed`` or ``classify``) through the model's batcher,
    or a group of callers' embedding requests (kind ``embed_group``, see coalesce.py).

    Returns a JSON dict: outputs plus the model's name, revision, queue and compute time and the
    batch size, or ``{"ok": False, "error": {...}}`` for the caller to raise; for a group,
    ``{"ok": True, "items": [one such dict per request]}``. In a worker it meters the usage
    (``metered``: True, see metering.py); the caller audits. It writes nothing else, so running
    it again only computes again.
    """
    received = time.monotonic()
    rt = runtime()
    try:
        if kind == "embed_group":
            return {"ok": True, "items": _embed_group(rt, model, payload)}
        if kind == "embed":
            outcomes = rt.embed(model, payload["texts"], timeout_s=payload.get("timeout_s"))
            outputs = pack_vectors([o.output.vector for o in outcomes])
            tokens_in = sum(o.output.tokens_in for o in outcomes)
            tokens_out = 0
        elif kind == "chat":
            outcomes = [_run_chat(rt, model, payload, stream_channel, tenant_id)]
            output = outcomes[0].output
            outputs = [_chat_output(output)]
            tokens_in, tokens_out = output.tokens_in, output.tokens_out
        elif kind == "token-classify":
            # Each text is its own request, so it batches with other callers' texts.
            outcomes = rt.embed(model, payload["texts"], timeout_s=payload.get("timeout_s"))
            outputs = [o.output.entities for o in outcomes]
            tokens_in, tokens_out = sum(o.output.tokens_in for o in outcomes), 0
        elif kind == "classify":
            outcomes = [rt.classify(model, payload["text"], timeout_s=payload.get("timeout_s"))]
            outputs = [
                [{"label": label, "score": score} for label, score in outcomes[0].output.labels]
            ]
            tokens_in, tokens_out = outcomes[0].output.tokens_in, 0
        else:
            raise ModelsRuntimeError(f"unknown request kind {kind!r}")
    except ModelsRuntimeError as exc:
        REQUESTS.labels(model, type(exc).__name__).inc()
        if stream_channel:
            streams.publish(stream_channel, _error(exc))
        return _error(exc)

    result = _answer(rt, model, tenant_id, outcomes, outputs, tokens_in, tokens_out)
    observe_generation(model, outcomes[0], time.monotonic() - received)
    if kind == "chat" and payload.get("adapter"):
        adapter = outcomes[0].output_adapter
        result["adapter"] = {"name": adapter.name, "digest": adapter.digest}
    if stream_channel:
        streams.publish(stream_channel, {"done": result})
    return result


def _answer(rt, model: str, tenant_id, outcomes, outputs, tokens_in: int, tokens_out: int) -> dict:
    """One request's answer: outputs, timings, usage; observed in the metrics and metered."""
    depth = rt.batcher(model).queue_depth
    for outcome in outcomes:
        observe_outcome(model, outcome, tokens_in // len(outcomes), tokens_out, depth)
    observe_gpu_memory()
    result = {
        "ok": True,
        "model": model,
        "revision": _revision(rt, model),
        "outputs": outputs,
        "queue_ms": max(o.queue_ms for o in outcomes),
        "compute_ms": max(o.compute_ms for o in outcomes),
        # The request's share of its batches' compute, for metering.
        "compute_share_s": sum(o.compute_ms / o.batch_size for o in outcomes) / 1000,
        "batch_size": max(o.batch_size for o in outcomes),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "metered": False,
    }
    if meter.running:
        meter.add(tenant_id=tenant_id, model=model, usage=usage_of(result))
        result["metered"] = True
    return result


def _embed_group(rt, model: str, payload: dict) -> list[dict]:
    """Every request of a group into the batcher first (so they batch together), then each
    request's answer; a request's bad text or failed batch fails that request only."""
    batcher = rt.batcher(model)  # an unknown model fails the whole group: it is everyone's
    checked = [
        item.get("texts")
        if isinstance(item.get("texts"), list) and item.get("texts")
        else InvalidInput("texts must be a non-empty list of strings")
        for item in payload["items"]
    ]
    try:
        # One arrival for the batcher: a batch never takes the group's first text alone.
        submitted = batcher.submit_requests(checked, payload.get("timeout_s"))
    except ModelsRuntimeError as exc:  # a full queue refuses the whole group
        submitted = [exc] * len(checked)
    answers = []
    for item, futures in zip(payload["items"], submitted, strict=True):
        try:
            if isinstance(futures, ModelsRuntimeError):
                raise futures
            outcomes = [future.result() for future in futures]
        except ModelsRuntimeError as exc:
            REQUESTS.labels(model, type(exc).__name__).inc()
            answers.append(_error(exc))
            continue
        outputs = pack_vectors([o.output.vector for o in outcomes])
        tokens_in = sum(o.output.tokens_in for o in outcomes)
        answers.append(_answer(rt, model, item["tenant_id"], outcomes, outputs, tokens_in, 0))
    return answers


class _ChatOutcome:
    """An Outcome plus the adapter the request ran with (for the answer's ``adapter``)."""

    def __init__(self, outcome, adapter):
        self._outcome, self.output_adapter = outcome, adapter

    def __getattr__(self, name):
        return getattr(self._outcome, name)


def _run_chat(rt, model: str, payload: dict, stream_channel: str | None, tenant_id=""):
    skip = ("messages", "timeout_s", "adapter", "adapter_digest")
    params = {k: v for k, v in payload.items() if k not in skip}
    try:
        request = ChatRequest.build(payload["messages"], **params)
    except TypeError as exc:
        raise InvalidInput(f"bad chat parameters: {exc}") from exc
    adapter = None
    if payload.get("adapter"):
        # Resolved here again, with the tenant of the task: the worker serves a tenant only
        # its own adapters whatever the caller sent.
        adapter = adapters.resolve(tenant_id=tenant_id, name=payload["adapter"], model=model)
        # Its files are written here, in the task's thread (a database read the first time),
        # so the batch thread only reads them from disk. A remote server holds its own.
        if not isinstance(adapter, adapters.RemoteAdapter):
            adapters.adapter_folder(adapter)
        request = dataclasses.replace(request, adapter=adapter)
    if stream_channel:

        def on_text(delta: str) -> None:
            streams.publish(stream_channel, {"delta": delta})

        request = dataclasses.replace(request, on_text=on_text)
    outcome = rt.run(model, request, payload.get("timeout_s"))
    return _ChatOutcome(outcome, adapter) if adapter is not None else outcome


@shared_task(name="models_runtime.tasks.status_task")
def status_task() -> dict:
    """The answering worker's models (loaded, device, revision) and batchers' records."""
    rt = runtime()
    return {"models": rt.status(), "stats": rt.stats()}


@worker_ready.connect
def _start_inference_worker(sender, **kwargs):
    """In a worker that consumes an inference queue (or ``training``): serve metrics, and load
    the warm models of the queues it consumes, in the process that will use them (after any
    fork, never before). A pool warms only its own models: the CPU pool never loads chat."""
    queues = {q.name for q in sender.app.amqp.queues.consume_from.values()}
    serves = sorted(q for q in queues if routing.is_inference_queue(q))
    if not serves and routing.TRAINING_QUEUE not in queues:
        return
    port = settings.MODELS_RUNTIME_METRICS_PORT
    if port:
        from prometheus_client import start_http_server

        start_http_server(port)
        logger.info("inference metrics on port %s", port)
    if not serves:
        return
    meter.start(settings.MODELS_RUNTIME_METER_FLUSH_S)
    rt = runtime()
    own = set(routing.models_on(serves))
    for name in settings.MODELS_RUNTIME_WARM:
        if name in own:
            rt.batcher(name)
    names = rt.warm_up(own)
    # The models and libraries just loaded live as long as the worker: keep full collections
    # from walking them (see config/wsgi.py).
    gc.collect()
    gc.freeze()
    logger.info(
        "inference worker ready on %s; warm models: %s",
        ",".join(serves),
        sorted(set(names) | (set(settings.MODELS_RUNTIME_WARM) & own)),
    )


@worker_shutdown.connect
def _stop_inference_worker(sender, **kwargs):
    """Write the usage metered since the last flush before the worker exits."""
    meter.stop()


@job_task(name="models_runtime.tasks.chat_job_task")
def chat_job_task(job, progress) -> dict:
    """A chat request as a job (the client's async form), run in the inference worker itself,
    so it waits on no other task."""
    params = dict(job.params)
    model = params.pop("model", "chat")
    progress(0, 1)
    data = infer_task.run(model=model, kind="chat", payload=params, tenant_id=str(job.tenant_id))
    if not data["ok"]:
        raise PermanentJobError(f"{data['error']['type']}: {data['error']['message']}")
    if not data["metered"]:  # in-process tasks: no worker meter runs
        write_usage(tenant_id=job.tenant_id, model=model, usage=usage_of(data))
    return {key: data[key] for key in ("model", "revision", "outputs", "tokens_in", "tokens_out")}
