"""One user message understood: its embedding (one model call), the intent ranking with the
fallback decision, and the sentiment, from the tenant's active intent model."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from apps.customer_service.engine.classifier import FittedClassifier
from apps.customer_service.engine.fallback import FALLBACK, Decision, decide
from apps.customer_service.models import IntentModel
from apps.registry.models import ModelState
from models_runtime import client

from .embedding import embed_model

_loaded: dict = {}
_loaded_lock = threading.Lock()


class NoIntentModel(LookupError):
    """The tenant has not trained an intent model yet."""


def active_model(tenant) -> IntentModel:
    model = (
        IntentModel.objects.filter(tenant=tenant, state=ModelState.CHAMPION)
        .only("id", "version", "fallback_threshold", "ambiguity_margin", "tenant_id")
        .order_by("-version")
        .first()
    )
    if model is None:
        raise NoIntentModel("no intent model is trained yet: POST /api/v1/customer-service/models/")
    return model


def classifiers(model: IntentModel) -> tuple[FittedClassifier, FittedClassifier]:
    """The fitted classifiers of a version, parsed once per process (versions never change)."""
    with _loaded_lock:
        hit = _loaded.get(model.pk)
    if hit is None:
        states = IntentModel.objects.filter(pk=model.pk).values("classifier", "sentiment")[0]
        try:
            hit = (
                FittedClassifier.from_state(states["classifier"]),
                FittedClassifier.from_state(states["sentiment"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NoIntentModel(
                f"intent model v{model.version} holds no fitted classifier: train a new one"
            ) from exc
        with _loaded_lock:
            if len(_loaded) > 32:
                _loaded.clear()
            _loaded[model.pk] = hit
    return hit


@dataclass
class Understanding:
    ranking: list[dict]
    decision: Decision
    sentiment: str
    sentiment_score: float  # the probability of the chosen sentiment
    negative: float  # the probability of "negative"
    model_version: int
    embed_ms: float
    embed_model: str

    @property
    def intent(self) -> str:
        return self.decision.intent


def understand(*, tenant, text: str, top_k: int = 3, model: IntentModel | None = None):
    """Rank intents (top ``top_k``), apply the fallback rule, classify the sentiment."""
    model = model or active_model(tenant)
    intents, moods = classifiers(model)
    started = time.perf_counter()
    use_cache = getattr(settings, "CUSTOMER_SERVICE_MODEL_CACHE", True)
    result = client.embed([text], tenant_id=tenant.pk, model=embed_model(), use_cache=use_cache)
    embed_ms = (time.perf_counter() - started) * 1000
    vector = result.output
    if len(vector) != intents.dimension:
        raise NoIntentModel(
            f"intent model v{model.version} was trained on {intents.dimension}-dimensional "
            f"embeddings, but {result.model} gives {len(vector)}: train a new version"
        )
    full = intents.ranking(vector, text)
    decision = decide(
        full, threshold=model.fallback_threshold, ambiguity_margin=model.ambiguity_margin
    )
    mood = moods.ranking(vector, text)
    negative = next((m["confidence"] for m in mood if m["name"] == "negative"), 0.0)
    return Understanding(
        ranking=full[:top_k],
        decision=decision,
        sentiment=mood[0]["name"],
        sentiment_score=mood[0]["confidence"],
        negative=negative,
        model_version=model.version,
        embed_ms=embed_ms,
        embed_model=f"{result.model}@{result.revision}",
    )


__all__ = ["FALLBACK", "NoIntentModel", "Understanding", "active_model", "understand"]
