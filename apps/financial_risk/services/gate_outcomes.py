"""What every promotion gate answers, and the version it compares with: shared by the credit
gates (``gates.py``) and the fraud gates (``fraud_gates.py``)."""

from __future__ import annotations

from apps.financial_risk.models import ModelState, RiskModel

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


def gate_result(status: str, detail: str, value=None, threshold=None) -> dict:
    return {"status": status, "value": value, "threshold": threshold, "detail": detail}


def family_champion(model: RiskModel) -> RiskModel | None:
    """The champion of ``model``'s family and purpose, other than ``model`` itself."""
    return (
        RiskModel.objects.filter(state=ModelState.CHAMPION, purpose=model.purpose, **model.family())
        .exclude(pk=model.pk)
        .first()
    )
