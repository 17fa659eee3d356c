"""The financial-risk vertical's declaration: how the platform wires it in (apps/core/verticals.py).

Read while the settings load: import nothing here but the contract and the standard library.
"""

from datetime import timedelta

from apps.core.verticals import DataDomain, Periodic, RoleSpec, Vertical

ANALYST, AUDITOR, MODEL_VALIDATOR = "analyst", "auditor", "model_validator"


def _settings(env, platform):
    return {
        # PSI and adversarial validation of every live model on the last
        # RISK_MONITORING_WINDOW_DAYS of decisions, every RISK_MONITORING_HOURS.
        "RISK_MONITORING_HOURS": env.int("RISK_MONITORING_HOURS", default=6),
        "RISK_MONITORING_WINDOW_DAYS": env.int("RISK_MONITORING_WINDOW_DAYS", default=7),
        # Fraud rings ignore identifiers shared by more accounts than this (public IPs, shop
        # devices).
        "RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER": env.int(
            "RISK_RING_MAX_ACCOUNTS_PER_IDENTIFIER", default=8
        ),
        # Transaction fraud (issue 24): card numbers become HMAC-SHA256 tokens under this key
        # (set it in production and keep it: tokens of the same card must stay equal); the
        # accounts' window state in Redis (prefix, expiry after the last event); scored
        # decisions are audited in one event per tenant every FRAUD_AUDIT_FLUSH_SECONDS.
        "FRAUD_CARD_TOKEN_KEY": env(
            "FRAUD_CARD_TOKEN_KEY", default=f"card-token:{platform['SECRET_KEY']}"
        ),
        "FRAUD_STATE_PREFIX": env("FRAUD_STATE_PREFIX", default="fraud"),
        "FRAUD_STATE_TTL_DAYS": env.int("FRAUD_STATE_TTL_DAYS", default=35),
        "FRAUD_AUDIT_FLUSH_SECONDS": env.int("FRAUD_AUDIT_FLUSH_SECONDS", default=10),
        # A scored decision's commit waits for the WAL flush only when this is true (see
        # services/fraud_scoring.py: asynchronous commit keeps the flush out of a payment's
        # latency).
        "FRAUD_DECISION_SYNCHRONOUS_COMMIT": env.bool(
            "FRAUD_DECISION_SYNCHRONOUS_COMMIT", default=False
        ),
        # Model governance (issue 22): the defaults every tenant starts from; a tenant's
        # RiskGovernanceSettings row overrides any key. Gates before a credit model enters
        # champion or challenger: AUC at most auc_margin below the champion's on the same
        # validation data, disparate impact at least disparate_impact_floor for every protected
        # attribute, Brier at most brier_margin above the champion's, score PSI between training
        # and the last psi_window_days of decisions under psi_max (skipped with fewer than
        # psi_min_decisions). four_eyes: promotions requested by a member need a second
        # person's approval. Scoring: an input outside the training range, each bound widened
        # by range_tolerance times its own size (per feature in feature_tolerance), or an
        # unseen category is refused (out_of_distribution "reject": 400) or referred ("refer").
        # reason_language: the language of reason phrases ("en" or "zh") when a request's
        # Accept-Language names neither.
        "RISK_GOVERNANCE_DEFAULTS": {
            "auc_margin": env.float("RISK_GATE_AUC_MARGIN", default=0.01),
            "disparate_impact_floor": env.float("RISK_GATE_DISPARATE_IMPACT", default=0.8),
            "brier_margin": env.float("RISK_GATE_BRIER_MARGIN", default=0.01),
            "psi_max": env.float("RISK_GATE_PSI_MAX", default=0.25),
            "psi_window_days": env.int("RISK_GATE_PSI_WINDOW_DAYS", default=30),
            "psi_min_decisions": env.int("RISK_GATE_PSI_MIN_DECISIONS", default=30),
            "four_eyes": env.bool("RISK_FOUR_EYES", default=True),
            "out_of_distribution": env("RISK_OUT_OF_DISTRIBUTION", default="reject"),
            "range_tolerance": env.float("RISK_INPUT_RANGE_TOLERANCE", default=0.1),
            "feature_tolerance": {},
            "reason_language": env("RISK_REASON_LANGUAGE", default="en"),
        },
    }


VERTICAL = Vertical(
    name="financial_risk",
    label="financial risk",
    url_prefix="risk",
    roles=(
        RoleSpec("analyst", "Risk analyst", order=10),
        # Approves (or rejects) risk-model promotions that someone else requested: the
        # independent validation of model-risk management (SR 11-7).
        RoleSpec(MODEL_VALIDATOR, "Model validator", order=40),
    ),
    data_domains=(
        DataDomain(
            "financial_risk", read=frozenset({ANALYST, AUDITOR}), write=frozenset({ANALYST})
        ),
    ),
    job_access={"financial_risk": {"domain": "financial_risk"}},
    beat_schedule={
        "risk-monitoring": Periodic(
            ".tasks.risk_monitoring_scheduled_task",
            lambda settings: timedelta(hours=settings["RISK_MONITORING_HOURS"]),
        ),
        "fraud-decisions-audit": Periodic(
            ".tasks.fraud_decisions_audit_task",
            lambda settings: timedelta(seconds=settings["FRAUD_AUDIT_FLUSH_SECONDS"]),
        ),
    },
    enum_overrides={
        "RiskModelStateEnum": ".models.ModelState",
        "DatasetKindEnum": ".models.DatasetKind",
        "FindingKindEnum": ".models.FindingKind",
        "DecisionOutcomeEnum": ".models.Outcome",
        "TransactionChannelEnum": ["pos", "ecom", "atm", "moto"],
    },
    console_panels={"drift_alerts": ".selectors.drift_alerts_open"},
    metric_sources={"platform_risk_drift_alerts_open": ".selectors.drift_alerts_open_count"},
    metrics_prefix="platform_risk_",
    settings_hooks={"PRIVACY_DATA_KINDS": (".privacy.DATA_KINDS",)},
    settings=_settings,
    isolation_factories={
        "financial_risk.dataset": ".tests.factories.tiny_dataset",
        "financial_risk.riskmodel": ".tests.factories.tiny_model",
        "financial_risk.decision": ".tests.factories.decision",
        "financial_risk.batchscoring": ".tests.factories.batch_scoring",
        "financial_risk.monitoringfinding": ".tests.factories.finding",
        "financial_risk.fraudring": ".tests.factories.ring",
        "financial_risk.riskaccount": ".tests.factories.account",
        "financial_risk.transaction": ".tests.factories.transaction",
        "financial_risk.frauddecision": ".tests.factories.fraud_decision",
        "financial_risk.transactionimport": ".tests.factories.transaction_import",
        "financial_risk.riskgovernancesettings": ".tests.factories.tiny_governance",
    },
    role_matrix=".tests.access",
    tenant_free_views={
        "TransactionScoreView": "POST only: scores and stores for the caller's own tenant "
        "(request.tenant); the decisions are read through the tenant-scoped "
        "FraudDecisionViewSet",
        "FraudModelTrainView": "POST only: starts a training job for the caller's own tenant; "
        "the versions are read through the tenant-scoped /models/",
    },
    load_parts={"risk": ".tests.load.prepare"},
    seed_command="risk_seed_demo",
    evaluate_commands=("evaluate_risk", "evaluate_fraud"),
    bench_commands=("bench_risk", "bench_fraud"),
)
