"""How every app calls a model: ``embed``, ``chat``, ``chat_stream``, ``classify``.

The call goes to the inference worker pool over its model's queue (``inference.chat``,
``inference.embed``, ``inference.classify``: routing.py; in-process without REDIS_URL) and
returns the output with the model's name, revision, queue and compute time, so that the caller
can write its audit event. Make these calls outside any open transaction.

Before sending: the tenant's model quota and backpressure (admission.py), and the result cache.
The answer is an ``InferenceResult`` (results.py, re-exported here), or the worker's error raised
again. Usage is metered per tenant and model by the worker (metering.py), or here when tasks run
in-process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence

from django.conf import settings

from apps.jobs.services import job_create

from . import adapters, admission, errors, results, routing, streams
from .admission import broker_queues, in_process, queued_requests
from .cache import cache_get, cache_key, cache_set
from .coalesce import Coalescer
from .metering import usage_of, write_usage
from .metrics import CACHE, TIME_TO_FIRST_TOKEN
from .results import InferenceResult
from .tasks import infer_task

# Callers import only this module: the result type and the broker figures (admission.py) are
# re-exported here.
__all__ = [
    "InferenceResult",
    "broker_queues",
    "chat",
    "chat_job",
    "chat_stream",
    "classify",
    "embed",
    "in_process",
    "queued_requests",
    "token_classify",
]

# ---------------------------------------------------------------------------- metering


def _meter_unless_metered(tenant_id, data: dict) -> None:
    """The worker meters what it computes; in-process tasks are metered here, at once."""
    if not data.get("metered"):
        write_usage(tenant_id=tenant_id, model=data["model"], usage=usage_of(data))


# ---------------------------------------------------------------------------- calls


def _send(kind: str, *, model: str, payload: dict, tenant_id, stream_channel=None):
    return infer_task.apply_async(
        kwargs={
            "model": model,
            "kind": kind,
            "payload": payload,
            "tenant_id": str(tenant_id),
            "stream_channel": stream_channel,
        },
        queue=routing.queue_to_send(model),
    )


def _timeout_as_error(model: str, timeout_s: float, wait, *args):
    try:
        return wait(*args)
    except Exception as exc:  # celery's TimeoutError, the coalescer's, and broker errors
        if isinstance(exc, TimeoutError) or type(exc).__name__ == "TimeoutError":
            raise errors.RequestTimeout(
                f"no answer from model {model!r} in {timeout_s:g} s"
            ) from exc
        raise


def _send_and_wait(kind: str, *, model: str, payload: dict, tenant_id) -> dict:
    """One inference task, and its answer."""
    timeout_s = payload["timeout_s"]
    async_result = _send(kind, model=model, payload=payload, tenant_id=tenant_id)
    try:
        # A job on the default queue may wait here (docs/architecture.md): the result comes from
        # another worker, so this cannot deadlock.
        return _timeout_as_error(
            model,
            timeout_s,
            lambda: async_result.get(timeout=timeout_s + 5, disable_sync_subtasks=False),
        )
    finally:
        async_result.forget()


def _send_group(model: str, items: list[dict], timeout_s: float) -> list[dict]:
    """A coalesced group of embedding requests as one task; one answer per request."""
    data = _send_and_wait(
        "embed_group", model=model, payload={"items": items, "timeout_s": timeout_s}, tenant_id=""
    )
    results.raise_for(data)  # the whole group failed (an unknown model): every caller's error
    return data["items"]


_coalescers: dict[tuple[int, int], Coalescer] = {}
_coalescers_lock = threading.Lock()


def _coalescer() -> Coalescer | None:
    """The process's coalescer (see coalesce.py), or None: in-process tasks, or turned off
    with INFERENCE_COALESCE_IN_FLIGHT = 0."""
    in_flight, max_texts = settings.INFERENCE_COALESCE_IN_FLIGHT, settings.INFERENCE_COALESCE_TEXTS
    if in_flight <= 0 or admission.in_process():
        return None
    with _coalescers_lock:
        key = (in_flight, max_texts)
        if key not in _coalescers:
            _coalescers[key] = Coalescer(_send_group, max_in_flight=in_flight, max_texts=max_texts)
        return _coalescers[key]


def _call(kind: str, *, model: str, payload: dict, tenant_id, timeout_s, use_cache: bool):
    admission.check_quota(tenant_id)
    key = (
        cache_key(tenant_id=tenant_id, model=model, kind=kind, payload=payload)
        if use_cache
        else None
    )
    if key:
        hit = cache_get(key)
        if hit is not None:
            CACHE.labels(model, "hit").inc()
            return InferenceResult.from_task(hit, cached=True)
        CACHE.labels(model, "miss").inc()
    admission.check_backpressure(model)
    timeout_s = timeout_s or settings.INFERENCE_TIMEOUT_S
    # Small requests share worker tasks; a big one is a group by itself and goes on its own.
    coalescer = _coalescer() if kind == "embed" else None
    if coalescer is not None and len(payload["texts"]) * 2 <= coalescer.max_texts:
        item = {**payload, "tenant_id": str(tenant_id)}
        data = _timeout_as_error(model, timeout_s, coalescer.call, model, item, timeout_s)
    else:
        data = _send_and_wait(
            kind, model=model, payload={**payload, "timeout_s": timeout_s}, tenant_id=tenant_id
        )
    results.raise_for(data)
    result = InferenceResult.from_task(data)
    if key:
        cache_set(key, data)
    _meter_unless_metered(tenant_id, data)
    return result


def embed(
    texts: Sequence[str],
    *,
    tenant_id,
    model: str = "embed",
    timeout_s: float | None = None,
    use_cache: bool = True,
) -> InferenceResult:
    """Embed ``texts``; ``outputs`` holds one vector per text, in order."""
    if isinstance(texts, str):
        raise errors.InvalidInput("texts must be a list of strings, not one string")
    return _call(
        "embed",
        model=model,
        payload={"texts": list(texts)},
        tenant_id=tenant_id,
        timeout_s=timeout_s,
        use_cache=use_cache,
    )


def _with_adapter(params: dict, *, tenant_id, model: str) -> None:
    """``adapter=<name>``: the tenant's LoRA adapter for ``model`` (``UnknownAdapter`` at once,
    before anything is sent, when the tenant has none of that name). Its digest joins the
    payload so that the result cache never answers from an earlier version."""
    name = params.get("adapter")
    if name is None:
        params.pop("adapter", None)
        return
    params["adapter_digest"] = adapters.resolve(tenant_id=tenant_id, name=name, model=model).digest


def chat(
    messages: Sequence[Mapping[str, str]] | str,
    *,
    tenant_id,
    model: str = "chat",
    timeout_s: float | None = None,
    use_cache: bool = True,
    **params,
) -> InferenceResult:
    """One chat completion. ``output`` is ``{"text", "reasoning", "finish_reason"}``;
    reasoning models' ``<think>`` text is in ``reasoning``, never in ``text``.
    Greedy requests (temperature 0) are cached; sampled ones never are.
    ``adapter="<name>"`` applies the tenant's promoted LoRA adapter of that name (the result's
    ``extra["adapter"]`` says which version); another tenant's raises ``UnknownAdapter``."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    _with_adapter(params, tenant_id=tenant_id, model=model)
    deterministic = float(params.get("temperature", 0) or 0) == 0
    return _call(
        "chat",
        model=model,
        payload={"messages": list(messages), **params},
        tenant_id=tenant_id,
        timeout_s=timeout_s,
        use_cache=use_cache and deterministic,
    )


def chat_stream(
    messages: Sequence[Mapping[str, str]] | str,
    *,
    tenant_id,
    model: str = "chat",
    timeout_s: float | None = None,
    **params,
) -> Iterator[dict]:
    """Yield ``{"delta": text}`` events as tokens are generated, then ``{"done": result}``
    (an ``InferenceResult``) or raise the model's error."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    _with_adapter(params, tenant_id=tenant_id, model=model)
    admission.check_quota(tenant_id)
    admission.check_backpressure(model)
    timeout_s = timeout_s or settings.INFERENCE_TIMEOUT_S
    channel = streams.new_channel()
    subscription = streams.Subscription(channel, timeout_s + 5)  # before sending: miss nothing
    payload = {"messages": list(messages), **params, "timeout_s": timeout_s}
    if admission.in_process():
        threading.Thread(
            target=_send,
            args=("chat",),
            daemon=True,
            kwargs={
                "model": model,
                "payload": payload,
                "tenant_id": tenant_id,
                "stream_channel": channel,
            },
        ).start()
    else:
        _send("chat", model=model, payload=payload, tenant_id=tenant_id, stream_channel=channel)
    started = time.monotonic()
    # With a broker, the web process measures what the caller sees: call -> first piece, the
    # queue in the broker included (in-process, the worker code in this process observes it).
    first_piece = not admission.in_process()
    for event in subscription.events():
        if "delta" in event:
            if first_piece:
                TIME_TO_FIRST_TOKEN.labels(model).observe(time.monotonic() - started)
                first_piece = False
            yield {"delta": event["delta"]}
        elif "done" in event:
            result = InferenceResult.from_task(event["done"])
            result.extra["stream_s"] = time.monotonic() - started
            _meter_unless_metered(tenant_id, event["done"])
            yield {"done": result}
            return
        else:
            results.raise_for({"ok": False, **event})


def classify(
    text: str, *, tenant_id, model: str, timeout_s: float | None = None, use_cache: bool = True
) -> InferenceResult:
    """Labels with scores, best first, for one text."""
    return _call(
        "classify",
        model=model,
        payload={"text": text},
        tenant_id=tenant_id,
        timeout_s=timeout_s,
        use_cache=use_cache,
    )


def token_classify(
    texts: Sequence[str],
    *,
    tenant_id,
    model: str,
    timeout_s: float | None = None,
    use_cache: bool = True,
) -> InferenceResult:
    """Entity spans (``label``, ``start``, ``end``, ``score``, ``text``) per text, in order;
    the texts batch with other callers' on the worker."""
    if isinstance(texts, str):
        raise errors.InvalidInput("texts must be a list of strings, not one string")
    return _call(
        "token-classify",
        model=model,
        payload={"texts": list(texts)},
        tenant_id=tenant_id,
        timeout_s=timeout_s,
        use_cache=use_cache,
    )


def chat_job(messages, *, tenant, model: str = "chat", **params):
    """The async form: a Job (202 + job URL in the API) whose result is the chat output."""
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    return job_create(
        tenant=tenant,
        kind="inference.chat",
        task_name="models_runtime.tasks.chat_job_task",
        params={"model": model, "messages": list(messages), **params},
    )
