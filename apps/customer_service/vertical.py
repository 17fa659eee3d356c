"""The customer-service vertical's declaration: how the platform wires it in
(apps/core/verticals.py).

Read while the settings load: import nothing here but the contract, the standard library and
Celery's schedules.
"""

from celery.schedules import crontab

from apps.core.verticals import DataDomain, Periodic, RoleSpec, Vertical

AGENT, AUDITOR = "agent", "auditor"


def _settings(env, platform):
    return {
        # Replies: new tokens per generated reply, and the score and meaning similarity a
        # retrieved fact needs to ground an answer (below them: "I do not know").
        "CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS": env.int(
            "CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS", default=80
        ),
        "CUSTOMER_SERVICE_RETRIEVAL_THRESHOLD": env.float(
            "CUSTOMER_SERVICE_RETRIEVAL_THRESHOLD", default=0.3
        ),
        "CUSTOMER_SERVICE_MIN_SEMANTIC": env.float("CUSTOMER_SERVICE_MIN_SEMANTIC", default=0.3),
        # Greedy replies and message embeddings are cached per tenant; the benchmark turns this
        # off so that every reply is generated.
        "CUSTOMER_SERVICE_MODEL_CACHE": env.bool("CUSTOMER_SERVICE_MODEL_CACHE", default=True),
        # Any shop: the hosts connectors may call (no server-side request forgery; host or
        # host:port), the environment variables that may hold a connector's auth secret, and
        # the demo order API's port (grounding.py holds the grounding check's thresholds).
        "CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS": env.list(
            "CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"]
        ),
        "CUSTOMER_SERVICE_CONNECTOR_SECRETS": env.list(
            "CUSTOMER_SERVICE_CONNECTOR_SECRETS", default=[]
        ),
        "CUSTOMER_SERVICE_DEMO_ORDER_API_PORT": env.int(
            "CUSTOMER_SERVICE_DEMO_ORDER_API_PORT", default=8765
        ),
    }


_FACTORIES = (
    "intent",
    "training_example",
    "intent_model",
    "conversation",
    "turn",
    "handoff",
    "rating",
    "review_item",
    "ratings_report",
    "demo_order",
    "document",
    "connector",
    "assistant_settings",
)

VERTICAL = Vertical(
    name="customer_service",
    label="customer service",
    url_prefix="customer-service",
    page_prefix="customer-service",
    page_urls=".urls",
    roles=(RoleSpec("agent", "Customer-service agent", order=30),),
    data_domains=(
        DataDomain("customer_service", read=frozenset({AGENT, AUDITOR}), write=frozenset({AGENT})),
    ),
    job_access={"customer_service": {"domain": "customer_service"}},
    beat_schedule={
        # The weekly ratings report by intent (Monday 06:00 UTC) for every tenant.
        "customer-service-ratings-report": Periodic(
            ".tasks.ratings_weekly_report_task",
            lambda settings: crontab(minute=0, hour=6, day_of_week="mon"),
        ),
    },
    enum_overrides={
        "ConversationStatusEnum": ".models.ConversationStatus",
        "DemoOrderStatusEnum": ".models.OrderStatus",
        "CorrectionKindEnum": ".models.CorrectionKind",
        "HandoffStateEnum": ".models.HandoffState",
        "ReviewStateEnum": ".models.ReviewState",
        "ConnectorKindEnum": ".assistant_models.ConnectorKind",
    },
    console_panels={"handoffs": ".selectors.handoff_queue_open"},
    metrics_prefix="platform_customer_service_",
    settings_hooks={
        "PRIVACY_DATA_KINDS": (".privacy.DATA_KINDS",),
        # Approved corrections become LoRA training pairs (apps named in the hook, not imported).
        "ADAPTATION_PAIR_SOURCES": (".selectors.approved_training_pairs",),
    },
    settings=_settings,
    isolation_factories={
        f"customer_service.{name.replace('_', '')}": f".tests.factories.{name}"
        for name in _FACTORIES
    },
    role_matrix=".tests.access",
    load_parts={"customer_service": ".tests.load.prepare"},
    seed_command="customer_service_seed",
    evaluate_commands=("evaluate_intents", "evaluate_retrieval", "evaluate_grounding"),
    bench_commands=("bench_customer_service",),
)
