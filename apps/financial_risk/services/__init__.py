"""Writes of the financial-risk vertical (keyword-only, ``<entity>_<action>``).

- datasets: ``dataset_create``
- registry: ``risk_model_train_start``, ``risk_model_train``
- governance: ``risk_model_promote`` (through the gates of ``gates``, four eyes for members),
  ``risk_model_promotion_request``, ``risk_model_promotion_decide``; the tenant's settings in
  ``governance_settings``
- decisions: ``decision_create``, ``shadow_report``; explanations: pictures by shap, reason
  phrases per language, the model card (``model_card``)
- batches: ``batch_scoring_start``, ``batch_scoring_run``, ``batch_results_csv``
- monitoring: ``monitoring_start``, ``monitoring_run``
- rings: ``fraud_graph_build``, ``fraud_rings_detect``, ``account_ring``
"""

from .batches import batch_results_csv, batch_scoring_run, batch_scoring_start
from .datasets import dataset_create
from .decisions import decision_create, decision_explanation, shadow_report
from .explanations import (
    decision_explained,
    decision_waterfall,
    decision_waterfall_png,
    reasons_in,
    risk_model_importance,
    risk_model_importance_png,
)
from .governance import risk_model_promote
from .monitoring import monitoring_run, monitoring_start
from .registry import PromotionError, risk_model_train, risk_model_train_start

__all__ = [
    "PromotionError",
    "batch_results_csv",
    "batch_scoring_run",
    "batch_scoring_start",
    "dataset_create",
    "decision_create",
    "decision_explained",
    "decision_explanation",
    "decision_waterfall",
    "decision_waterfall_png",
    "monitoring_run",
    "monitoring_start",
    "reasons_in",
    "risk_model_importance",
    "risk_model_importance_png",
    "risk_model_promote",
    "risk_model_train",
    "risk_model_train_start",
    "shadow_report",
]
