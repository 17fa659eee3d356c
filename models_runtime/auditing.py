"""The audit event of a direct model call (``/api/v1/inference/``): which model and revision
answered, a keyed digest of the input (never the input itself) and what the call cost."""

from __future__ import annotations

from collections.abc import Mapping

from apps.audit.services import audit_event_record, input_digest


def inference_call_record(
    *,
    tenant,
    action: str,
    result,
    payload: Mapping,
    outcome: str = "success",
    status_code: int = 200,
    details: dict | None = None,
) -> None:
    """Record a model call: ``result`` is its ``InferenceResult``, or None when it failed
    (the model is then the one ``payload`` asked for)."""
    audit_event_record(
        tenant=tenant,
        action=action,
        outcome=outcome,
        status_code=status_code,
        resource_type="model",
        resource_id=getattr(result, "model", None) or payload.get("model", ""),
        model_name=getattr(result, "model", "") or payload.get("model", ""),
        model_revision=getattr(result, "revision", ""),
        input_digest=input_digest(tenant=tenant, data=payload),
        details=details or {},
    )
