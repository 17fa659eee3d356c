"""The demo setup of a tenant: intents with examples, a trained model, demo orders, the shop
graph with embeddings (``manage.py customer_service_seed``)."""

from __future__ import annotations

from apps.customer_service.demo import demo_orders
from apps.customer_service.models import DemoOrder, IntentModel


def demo_orders_load(*, tenant) -> int:
    """The demo orders (idempotent; an order's status is reset to the demo's)."""
    made = 0
    for row in demo_orders():
        _, created = DemoOrder.objects.update_or_create(
            tenant=tenant,
            number=row["number"],
            defaults={k: v for k, v in row.items() if k != "number"},
        )
        made += created
    return made


def demo_setup(*, tenant, train: bool = True) -> dict:
    """Shop graph (+ node embeddings), demo intents, orders, and a trained intent model when
    the tenant has none. Model calls go through ``models_runtime``."""
    from knowledge.services import node_embeddings_compute, seed_graph_ensure

    from .training import intent_model_train, intents_seed_demo

    graph, _ = seed_graph_ensure(tenant=tenant, seed="customer_service")
    embedded = node_embeddings_compute(graph=graph)
    seeded = intents_seed_demo(tenant=tenant)
    orders = demo_orders_load(tenant=tenant)
    model = IntentModel.objects.filter(tenant=tenant, active=True).first()
    if train and (model is None or seeded["examples_created"]):
        model = intent_model_train(tenant=tenant)
    return {
        "graph": graph.name,
        "nodes_embedded": embedded["embedded"],
        **seeded,
        "orders_created": orders,
        "model_version": model.version if model else None,
        "accuracy": (model.report or {}).get("accuracy") if model else None,
    }
