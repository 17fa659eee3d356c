"""Which broker queue serves a model: one queue per model group, one worker pool per device.

Queues (contract 4 in the team's interfaces; config/celery.py declares them):

- ``inference.chat``: generation models (the GPU pool, ``worker-gpu``)
- ``inference.embed``: embedding models (the CPU pool, ``worker-cpu``)
- ``inference.classify``: sequence and token classifiers, entailment (the CPU pool)
- ``training``: LoRA training and evaluation (``worker-training``)

A model's queue follows from its task; ``ModelSpec.queue`` moves one model to a queue of its own
(``inference.<name>``, e.g. a large chat model on its own GPU nodes). A worker serves the
models whose queues it consumes: it warms only those, so the CPU pool never loads a chat model.
Backpressure (429) counts the waiting messages of the request's own queue only, so a backlog of
chat requests never refuses an embedding.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings

from .errors import UnknownModel
from .specs import ModelSpec, specs_from_settings

CHAT_QUEUE = "inference.chat"
EMBED_QUEUE = "inference.embed"
CLASSIFY_QUEUE = "inference.classify"
TRAINING_QUEUE = "training"
INFERENCE_QUEUES = (CHAT_QUEUE, EMBED_QUEUE, CLASSIFY_QUEUE)
QUEUE_BY_TASK = {
    "chat": CHAT_QUEUE,
    "embed": EMBED_QUEUE,
    "classify": CLASSIFY_QUEUE,
    "token-classify": CLASSIFY_QUEUE,
}


def queue_of(spec: ModelSpec) -> str:
    return spec.queue or QUEUE_BY_TASK[spec.task]


@functools.lru_cache(maxsize=8)
def _specs(frozen: str) -> dict[str, ModelSpec]:
    return specs_from_settings(json.loads(frozen))


def specs() -> dict[str, ModelSpec]:
    """The configured specs (parsed once per distinct MODELS_RUNTIME: tests change settings)."""
    return _specs(json.dumps(settings.MODELS_RUNTIME, sort_keys=True, default=str))


def queue_for(model: str) -> str:
    """The queue of ``model``; ``UnknownModel`` (HTTP 404/400) when it is not configured."""
    known = specs()
    if model not in known:
        raise UnknownModel(model, known)
    return queue_of(known[model])


def queue_to_send(model: str) -> str:
    """The queue a request for ``model`` is sent to. A model this process does not know (its
    settings may lag the workers') goes to the chat queue, whose worker answers UnknownModel."""
    try:
        return queue_for(model)
    except UnknownModel:
        return CHAT_QUEUE


def served_queues() -> list[str]:
    """Every inference queue some configured model is served from, in a stable order."""
    return sorted({queue_of(spec) for spec in specs().values()})


def models_on(queues) -> list[str]:
    """The configured models that a worker consuming ``queues`` serves."""
    wanted = set(queues)
    return sorted(name for name, spec in specs().items() if queue_of(spec) in wanted)


def is_inference_queue(name: str) -> bool:
    return name.startswith("inference.")


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router (``task_routes``): an inference task goes to its model's queue. Tasks that
    name their queue when sent keep it (Celery applies explicit ``queue=`` before routers)."""
    if name == "models_runtime.tasks.infer_task":
        return {"queue": queue_to_send((kwargs or {}).get("model", "chat"))}
    if name == "models_runtime.tasks.chat_job_task":
        return {"queue": CHAT_QUEUE}
    if name.startswith("models_runtime."):
        return {"queue": CHAT_QUEUE}
    # Anything else: the routes the verticals declare (CELERY_TASK_ROUTES), else `default`.
    return None
