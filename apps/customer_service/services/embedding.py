"""Embeddings for the assistant, always through ``models_runtime.client`` (MiniLM by default),
and a switch that runs model calls in this process for commands started without a worker."""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.conf import settings

from models_runtime import client

EMBED_BATCH = 64


def embed_model() -> str:
    return getattr(settings, "CUSTOMER_SERVICE_EMBED_MODEL", "embed")


def embed_texts(*, tenant, texts: list[str]) -> tuple[list, str, float]:
    """Vectors for ``texts`` (batched), the model label (name@revision) and the seconds the
    model round trips took."""
    vectors, label, spent = [], "", 0.0
    for start in range(0, len(texts), EMBED_BATCH):
        started = time.perf_counter()
        result = client.embed(
            texts[start : start + EMBED_BATCH], tenant_id=tenant.pk, model=embed_model()
        )
        spent += time.perf_counter() - started
        vectors.extend(result.outputs)
        label = f"{result.model}@{result.revision}"
    return vectors, label, spent


@contextmanager
def models_in_process():
    """Run model calls in this process for the block (commands such as ``evaluate_intents``
    and the demo seed run before or without an inference worker)."""
    from celery import current_app

    saved = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    try:
        yield
    finally:
        current_app.conf.task_always_eager = saved
