"""The domain-adaptation app's declaration (apps/core/verticals.py): a vertical-like app that
trains LoRA adapters on the pairs other verticals offer through ADAPTATION_PAIR_SOURCES.

Read while the settings load: import nothing here but the contract and the standard library.
"""

from apps.core.verticals import RoleSpec, Vertical

ANALYST, AUDITOR = "analyst", "auditor"


def _settings(env, platform):
    return {
        # The knowledge graph whose FAQ nodes become training pairs (the customer-service
        # seed's).
        "ADAPTATION_FAQ_GRAPH": env.str("ADAPTATION_FAQ_GRAPH", default="shop"),
    }


VERTICAL = Vertical(
    name="adaptation",
    label="adaptation",
    url_prefix="adaptation",
    # Analysts train adapters: the same persona financial risk declares (an identical
    # declaration counts once), so either app installed alone brings the role.
    roles=(RoleSpec("analyst", "Risk analyst", order=10),),
    job_access={
        "adaptation": {"read": frozenset({ANALYST, AUDITOR}), "cancel": frozenset({ANALYST})}
    },
    # LoRA training and evaluation run on `training`, off the queues of live traffic.
    task_queues={".tasks.*": "training"},
    enum_overrides={"AdapterStateEnum": ".models.AdapterState"},
    metrics_prefix="platform_adaptation_",
    # How the inference worker finds a tenant's promoted LoRA adapter by name.
    settings_hooks={
        "MODELS_RUNTIME_ADAPTER_HOOK": ".selectors.adapter_for_serving",
        # Training sets and held-out pairs in retention, erasure and export (apps.data_lifecycle).
        "PRIVACY_DATA_KINDS": (".privacy.DATA_KINDS",),
    },
    settings=_settings,
    isolation_factories={
        "adaptation.trainingset": ".tests.factories.training_set",
        "adaptation.adapterversion": ".tests.factories.adapter_version",
    },
    role_matrix=".tests.access",
    load_parts={"adapter_chat": ".tests.load.prepare"},
    evaluate_commands=("evaluate_finetune",),
)
