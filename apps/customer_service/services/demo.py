"""The demo setup of a tenant (``manage.py customer_service_seed``): a shop profile's assistant
settings, help-centre documents (embedded), connector and orders, the demo intents and a
trained model. Two profiles ship (``demo/shops/``): ``outdoor`` (an outdoor-gear shop on the
demo orders table and the shop graph) and ``books`` (a bookshop whose orders live in its own
HTTP order API, ``demo/order_api.py``). They share no text: the brand, the documents and the
orders are data of the profile, never of the code."""

from __future__ import annotations

import json

from django.conf import settings

from apps.customer_service.demo import DEMO_DIR, demo_orders
from apps.customer_service.models import DemoOrder, IntentModel
from apps.registry.models import ModelState
from knowledge.services import node_embeddings_compute, seed_graph_ensure

from .assistant import assistant_settings_update, connector_save
from .documents import documents_embed, documents_upload
from .training import intent_model_train, intents_seed_demo

SHOPS_DIR = DEMO_DIR / "shops"
PROFILES = ("outdoor", "books")


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


def demo_profile(profile: str) -> dict:
    """The profile's assistant settings, document files and connector (None: demo table)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown demo profile {profile!r}; one of {', '.join(PROFILES)}")
    folder = SHOPS_DIR / profile
    connector = folder / "connector.json"
    return {
        "assistant": json.loads((folder / "assistant.json").read_text(encoding="utf-8")),
        "documents": sorted((folder / "docs").iterdir()),
        "connector": json.loads(connector.read_text()) if connector.exists() else None,
    }


def demo_documents_load(*, tenant, profile: str) -> int:
    """The profile's help-centre documents (an unchanged file makes no new version)."""
    made = 0
    for path in demo_profile(profile)["documents"]:
        made += len(documents_upload(tenant=tenant, filename=path.name, data=path.read_bytes()))
    return made


def demo_setup(*, tenant, profile: str = "outdoor", train: bool = True) -> dict:
    """Assistant settings, documents (+ embeddings), shop graph and demo-table orders (outdoor)
    or the HTTP connector (books), demo intents, and a trained intent model when the tenant has
    none. Model calls go through ``models_runtime``."""
    definition = demo_profile(profile)
    assistant_settings_update(tenant=tenant, **definition["assistant"])
    orders = 0
    if definition["connector"] is None:
        graph, _ = seed_graph_ensure(tenant=tenant, seed="customer_service")
        node_embeddings_compute(graph=graph)
        orders = demo_orders_load(tenant=tenant)
    else:
        port = settings.CUSTOMER_SERVICE_DEMO_ORDER_API_PORT
        connector_save(
            tenant=tenant, base_url=f"http://127.0.0.1:{port}", **definition["connector"]
        )
    versions = demo_documents_load(tenant=tenant, profile=profile)
    embedded = documents_embed(tenant=tenant, in_process=True)
    seeded = intents_seed_demo(tenant=tenant)
    model = IntentModel.objects.filter(tenant=tenant, state=ModelState.CHAMPION).first()
    if train and (model is None or seeded["examples_created"]):
        model = intent_model_train(tenant=tenant)
    return {
        "profile": profile,
        "document_versions": versions,
        "nodes_embedded": embedded["embedded"],
        **seeded,
        "orders_created": orders,
        "model_version": model.version if model else None,
        "accuracy": (model.report or {}).get("accuracy") if model else None,
    }
