"""Rows of the customer-service vertical for tests (and the route walker's isolation factories
in tests/isolation_registry.py). Conversation rows are made through the services; rows that
need a trained model or the review flow are made directly, as those services would store them.
"""

from __future__ import annotations

import itertools

from apps.customer_service import models as m
from apps.customer_service.services import conversation_start, intent_ensure
from apps.registry.models import ModelState

_counter = itertools.count(1)
_fitted: dict = {}


def intent(tenant, name: str | None = None):
    return intent_ensure(tenant=tenant, name=name or f"intent_{next(_counter)}")


def training_example(tenant):
    return m.TrainingExample.objects.create(
        tenant=tenant, intent=intent(tenant), text=f"example text {next(_counter)}"
    )


def intent_model(tenant):
    version = (m.IntentModel.objects.filter(tenant=tenant).count() or 0) + 1
    # The newest version is the champion (what training does, through the registry).
    m.IntentModel.objects.filter(tenant=tenant, state=ModelState.CHAMPION).update(
        state=ModelState.RETIRED
    )
    return m.IntentModel.objects.create(
        tenant=tenant,
        version=version,
        state=ModelState.CHAMPION,
        report={"accuracy": 1.0},
        example_count=2,
    )


def conversation(tenant):
    return conversation_start(tenant=tenant)


def turn(tenant, role=m.TurnRole.ASSISTANT, text="Orders ship within one business day."):
    conv = conversation(tenant)
    m.Turn.objects.create(
        tenant=tenant, conversation=conv, seq=1, role=m.TurnRole.USER, text="When do you ship?"
    )
    return m.Turn.objects.create(
        tenant=tenant, conversation=conv, seq=2, role=role, text=text, intent="shipping_time"
    )


def handoff(tenant):
    conv = conversation(tenant)
    return m.Handoff.objects.create(
        tenant=tenant, conversation=conv, reason=m.HandoffReason.REQUESTED
    )


def rating(tenant):
    return m.Rating.objects.create(tenant=tenant, turn=turn(tenant), score=4)


def review_item(tenant):
    return m.ReviewItem.objects.create(tenant=tenant, turn=turn(tenant))


def ratings_report(tenant):
    from django.utils import timezone

    now = timezone.now()
    return m.RatingsReport.objects.create(
        tenant=tenant, period_start=now, period_end=now, summary={"ratings": 0}
    )


def demo_order(tenant):
    return m.DemoOrder.objects.create(tenant=tenant, number=str(20000 + next(_counter)))


def document(tenant):
    from apps.customer_service.services import documents_upload

    text = f"# Opening hours\n\nWe open at {next(_counter)} o'clock.\n".encode()
    return documents_upload(tenant=tenant, filename="hours.md", data=text)[0].document


def connector(tenant):
    return m.Connector.objects.create(
        tenant=tenant, name=f"orders-{next(_counter)}", kind=m.ConnectorKind.DEMO_TABLE
    )


def assistant_settings(tenant):
    from apps.customer_service.services.assistant import assistant_settings_update

    return assistant_settings_update(tenant=tenant, brand_name=f"Shop {next(_counter)}")


# A tenant set up like the demo: the shop graph with node embeddings, the demo intents and
# orders, and an intent model. Training embeds ~560 texts; it is done once per test process and
# its fitted state stored for each test's tenant (the same state ``intent_model_train`` stores;
# test_feedback.py and test_api.py train through the service and the job themselves).


def fitted_demo(tenant) -> dict:
    from apps.customer_service.demo import demo_split
    from apps.customer_service.services import fit_and_evaluate

    if not _fitted:
        fitted = fit_and_evaluate(
            tenant=tenant,
            train=demo_split("train"),
            test=demo_split("test"),
            threshold=0.4,
            ambiguity_margin=0.1,
        )
        _fitted.update(
            classifier=fitted["intents"].to_state(),
            sentiment=fitted["sentiment"].to_state(),
            report=fitted["report"],
            embedding_model=fitted["embedding_model"],
        )
    return _fitted


def setup_demo_tenant(
    tenant,
    *,
    threshold: float = 0.4,
    ambiguity_margin: float = 0.1,
    profile: str = "outdoor",
    documents: bool = False,
    order_api_url: str = "",
):
    """A tenant set up like a demo shop of ``profile`` (its assistant settings; the shop graph
    and demo orders for ``outdoor``, the HTTP connector to ``order_api_url`` for ``books``;
    with ``documents`` its help-centre documents, embedded) and an active intent model."""
    from apps.customer_service.models import IntentModel
    from apps.customer_service.services import demo_orders_load, intents_seed_demo
    from apps.customer_service.services.assistant import (
        assistant_settings_update,
        connector_save,
    )
    from apps.customer_service.services.demo import demo_documents_load, demo_profile
    from apps.customer_service.services.documents import documents_embed
    from knowledge.services import node_embeddings_compute, seed_graph_ensure

    definition = demo_profile(profile)
    assistant_settings_update(tenant=tenant, **definition["assistant"])
    if definition["connector"] is None:
        graph, _ = seed_graph_ensure(tenant=tenant, seed="customer_service")
        node_embeddings_compute(graph=graph)
        demo_orders_load(tenant=tenant)
    elif order_api_url:
        connector_save(tenant=tenant, base_url=order_api_url, **definition["connector"])
    if documents:
        demo_documents_load(tenant=tenant, profile=profile)
        documents_embed(tenant=tenant, in_process=True)
    intents_seed_demo(tenant=tenant)
    fitted = fitted_demo(tenant)
    return IntentModel.objects.create(
        tenant=tenant,
        version=1,
        state=ModelState.CHAMPION,
        classifier=fitted["classifier"],
        sentiment=fitted["sentiment"],
        report=fitted["report"],
        embedding_model=fitted["embedding_model"],
        fallback_threshold=threshold,
        ambiguity_margin=ambiguity_margin,
        example_count=368,
    )
