"""Metric gates before a risk model enters champion or challenger (issue 22), plugged into the
registry's promotion hook. Each gate's result (passed, failed or skipped, with its value and
threshold) is written on the version's card under ``gates``; a failed gate refuses the
promotion unless the approval carries a written justification (an override, recorded).

- ``auc``: the candidate's AUC at most ``auc_margin`` below the champion's on the same
  validation data (the candidate's dataset: its out-of-fold predictions against the
  champion's out-of-fold predictions when both trained on it, else the champion scored on it);
- ``disparate_impact``: at least ``disparate_impact_floor`` for every protected attribute;
- ``brier``: at most ``brier_margin`` above the champion's, on the same data as ``auc``;
- ``score_psi``: the PSI of the candidate's score between its training data and the family's
  recent decisions under ``psi_max`` (skipped with too few recent decisions).

Transaction-fraud models (issue 24) have gates of their own, on their time-split figures:

- ``baseline``: the behavioural model's PR-AUC on its measured (latest) weeks at least the
  baseline's, the same booster trained on the payment's own fields only (a model whose
  behavioural features add nothing is not promoted silently);
- ``pr_auc``: its PR-AUC at most ``auc_margin`` below the champion's, both scored on the
  candidate's measured weeks of the tenant's stored transactions (features recomputed as of
  each transaction's time).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from sklearn.metrics import brier_score_loss, roc_auc_score

from apps.audit.services import current_audit_draft
from apps.core.public_ids import user_public_id
from apps.financial_risk.engine import monitoring as drift
from apps.financial_risk.engine.data import table_from_records, target_vector
from apps.financial_risk.models import ModelPurpose, RiskModel
from apps.financial_risk.selectors import (
    dataset_schema,
    dataset_table,
    model_schema,
    scoring_model,
)
from apps.notifications.alerts import Severity, alert_raise
from apps.registry.gates import PromotionRequest
from apps.registry.promotions import MEMBER_ACTORS

from .fraud_gates import fraud_gate_results
from .gate_outcomes import FAILED, PASSED, SKIPPED, family_champion, gate_result
from .governance_settings import governance_settings
from .monitoring import recent_inputs


def _validation_figures(model: RiskModel, champion: RiskModel) -> dict | None:
    """AUC and Brier of both versions on the candidate's dataset, or None when there is no
    shared validation data (no dataset, or the champion needs columns it lacks)."""
    own = model.card.get("metrics", {}).get("model", {})
    if model.dataset_id is None or "auc" not in own or "brier" not in own:
        return None
    if champion.dataset_id == model.dataset_id:
        theirs = champion.card.get("metrics", {}).get("model", {})
        if "auc" in theirs and "brier" in theirs:
            return {
                "candidate": (own["auc"], own["brier"]),
                "champion": (theirs["auc"], theirs["brier"]),
                "data": "both versions' out-of-fold predictions on the same dataset",
            }
    table = dataset_table(model.dataset)
    loaded = scoring_model(champion)
    if any(column not in table for column in loaded.pipeline.sources):
        return None
    y = target_vector(table, dataset_schema(model.dataset))
    p = loaded.score(table, explain=False).probability
    return {
        "candidate": (own["auc"], own["brier"]),
        "champion": (round(float(roc_auc_score(y, p)), 4), round(float(brier_score_loss(y, p)), 4)),
        "data": "the candidate's dataset: its out-of-fold predictions, the champion scored on it",
    }


def _comparison_gates(model: RiskModel, config: dict) -> dict:
    champion = family_champion(model)
    if champion is None:
        nothing = "no champion to compare with"
        return {"auc": gate_result(PASSED, nothing), "brier": gate_result(PASSED, nothing)}
    figures = _validation_figures(model, champion)
    if figures is None:
        refused = f"no validation data shared with the champion {champion.label}"
        return {"auc": gate_result(FAILED, refused), "brier": gate_result(FAILED, refused)}
    (auc, brier), (champion_auc, champion_brier) = figures["candidate"], figures["champion"]
    auc_floor = round(champion_auc - config["auc_margin"], 4)
    brier_ceiling = round(champion_brier + config["brier_margin"], 4)
    return {
        "auc": gate_result(
            PASSED if auc >= auc_floor else FAILED,
            f"AUC {auc} against the champion {champion.label}'s {champion_auc} on "
            f"{figures['data']}",
            value=auc,
            threshold=auc_floor,
        ),
        "brier": gate_result(
            PASSED if brier <= brier_ceiling else FAILED,
            f"Brier {brier} against the champion {champion.label}'s {champion_brier}",
            value=brier,
            threshold=brier_ceiling,
        ),
    }


def _fairness_gate(model: RiskModel, config: dict) -> dict:
    floor = config["disparate_impact_floor"]
    attributes = model.card.get("fairness", {}).get("attributes", {})
    if not attributes:
        return gate_result(SKIPPED, "no protected attribute on the model card", threshold=floor)
    ratios = {name: report.get("disparate_impact") for name, report in attributes.items()}
    below = {name: r for name, r in ratios.items() if r is None or r < floor}
    detail = (
        "every protected attribute at or above the floor"
        if not below
        else "below the floor: " + ", ".join(f"{n} {r}" for n, r in sorted(below.items()))
    )
    return gate_result(FAILED if below else PASSED, detail, value=ratios, threshold=floor)


def _psi_gate(model: RiskModel, config: dict) -> dict:
    threshold = config["psi_max"]
    reference = model.card.get("reference", {}).get("__score__")
    champion = family_champion(model)
    since = timezone.now() - timedelta(days=config["psi_window_days"])
    records = []
    for live in [champion, model]:
        if live is not None:
            records.extend(recent_inputs(live, since))
    if reference is None or len(records) < config["psi_min_decisions"]:
        return gate_result(
            SKIPPED,
            f"not enough recent decisions ({len(records)} in {config['psi_window_days']} days, "
            f"{config['psi_min_decisions']} needed)",
            threshold=threshold,
        )
    loaded = scoring_model(model)
    recent = table_from_records(records, model_schema(model))
    if any(column not in recent for column in loaded.pipeline.sources):
        return gate_result(
            SKIPPED, "recent decisions lack this version's inputs", threshold=threshold
        )
    shares = drift.bucket_shares(loaded.score(recent, explain=False).probability, reference)
    value = round(drift.psi(reference["expected"], shares), 4)
    return gate_result(
        PASSED if value < threshold else FAILED,
        f"score PSI over {len(records)} recent decisions",
        value=value,
        threshold=threshold,
    )


def gate_results(*, tenant, model: RiskModel) -> dict:
    """Every gate's result for ``model`` under the tenant's thresholds."""
    config = governance_settings(tenant)
    if model.purpose == ModelPurpose.FRAUD:
        return fraud_gate_results(tenant=tenant, model=model, config=config)
    return {
        **_comparison_gates(model, config),
        "disparate_impact": _fairness_gate(model, config),
        "score_psi": _psi_gate(model, config),
    }


def _record(model: RiskModel, state: str, results: dict, override: dict | None) -> None:
    model.card = {
        **model.card,
        "gates": {
            "evaluated_at": timezone.now().isoformat(),
            "to": state,
            "results": results,
            "override": override,
        },
    }
    RiskModel.objects.filter(pk=model.pk).update(card=model.card)


def gate_alerts_raise(*, tenant, model: RiskModel, state: str, results: dict) -> list:
    """Failed gates as alerts of the ``financial_risk`` domain: a failed disparate-impact gate
    is a fairness flag (critical, one open per model), any other failed gate a gate failure
    (warning, one open per model and target state). The alerts raised (none when all pass)."""
    failed = {name: r for name, r in results.items() if r["status"] == FAILED}
    raised = []
    fairness = failed.pop("disparate_impact", None)
    if fairness is not None:
        raised.append(
            alert_raise(
                tenant=tenant,
                source="financial_risk.fairness",
                severity=Severity.CRITICAL,
                title=f"Fairness flag on {model.label}: disparate impact {fairness['detail']}",
                dedup_key=str(model.pk),
                domain="financial_risk",
                details={"model": str(model.pk), "to": state, "gate": fairness},
            )
        )
    if failed:
        raised.append(
            alert_raise(
                tenant=tenant,
                source="financial_risk.gate",
                severity=Severity.WARNING,
                title=f"{model.label} failed the gate(s) {', '.join(sorted(failed))} for {state}",
                dedup_key=f"{model.pk}:{state}",
                domain="financial_risk",
                details={"model": str(model.pk), "to": state, "gates": failed},
            )
        )
    return raised


def risk_model_gates_evaluate(*, tenant, model: RiskModel, state: str) -> dict:
    """Evaluate the gates now and write the results on the card (before a request is
    approved, so the approver reads them); failed gates raise alerts."""
    results = gate_results(tenant=tenant, model=model)
    _record(model, state, results, None)
    gate_alerts_raise(tenant=tenant, model=model, state=state, results=results)
    return results


def _override(request: PromotionRequest, failed: list[str]) -> dict | None:
    """The override of ``failed`` gates this promotion carries, if any: the written
    justification of the approval's second person, or, for the platform's own code (seeding
    the demo, benchmarks: no member acts), the justification its caller wrote."""
    approval = request.context.get("approval")
    justification = (getattr(approval, "justification", "") or "").strip()
    if approval is not None and justification:
        return {
            "gates": failed,
            "justification": justification,
            "approved_by": user_public_id(approval.decided_by_id),
            "requested_by": user_public_id(approval.requested_by_id),
            "approval": str(approval.pk),
        }
    system = (request.context.get("system_override") or "").strip()
    actor = request.actor
    if system and (actor is None or actor.kind not in MEMBER_ACTORS):
        kind = actor.kind if actor is not None else "system"
        return {"gates": failed, "justification": system, "approved_by": kind}
    return None


def risk_model_metric_gate(request: PromotionRequest) -> list[str]:
    """Registered for risk models: refuse on any failed gate, unless the approval of this
    promotion carries a written justification (an override, recorded on the card and in the
    promotion's audit event)."""
    model = request.version
    results = gate_results(tenant=request.tenant, model=model)
    failed = {name: r for name, r in results.items() if r["status"] == FAILED}
    override = _override(request, sorted(failed)) if failed else None
    _record(model, request.to_state, results, override)
    draft = current_audit_draft()
    if draft is not None:
        draft.details = {
            **(draft.details or {}),
            "gates": {name: r["status"] for name, r in results.items()},
            "override": override,
        }
    if not failed or override is not None:
        return []
    # The refusal rolls the promotion's transaction back: the caller raises the alerts after
    # it (risk_model_promote), from the results left here.
    refused = request.context.get("gate_refusal")
    if refused is not None:
        refused.update({"results": results, "to": request.to_state})
    return [
        f"{model.label}: gate {name} failed ({r['detail']}); an approver may override it only "
        f"with a written justification."
        for name, r in sorted(failed.items())
    ]
