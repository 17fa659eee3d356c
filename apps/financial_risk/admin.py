"""The financial-risk admin: registry (the readable model card: ``admin_cards``), decisions
(their SHAP waterfall, explanation and reasons in English and Chinese), monitoring
findings with alert states, fraud rings. Tenant-scoped; analysts and admins work here,
auditors read."""

from __future__ import annotations

import base64

from django.contrib import admin
from django.utils.html import format_html

from apps.accounts.roles import Role
from apps.surface.admin_base import ServiceWrittenAdmin

from . import admin_governance  # noqa: F401 - registers the governance settings' admin
from .admin_cards import DecisionExplanationAdminMixin, ModelCardAdminMixin
from .models import (
    BatchScoring,
    Dataset,
    Decision,
    FraudDecision,
    FraudRing,
    MonitoringFinding,
    RiskAccount,
    RiskModel,
    Transaction,
)
from .services.rings import account_ring_png

READERS = frozenset({Role.ADMIN, Role.ANALYST, Role.AUDITOR})
WRITERS = frozenset({Role.ADMIN, Role.ANALYST})


class RiskAdmin(ServiceWrittenAdmin):
    """Read-only pages: rows are written by the services (training jobs, decisions, monitoring),
    never edited by hand, so an audit trail always matches what the database holds."""

    allowed_roles = READERS
    write_roles = WRITERS

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(RiskAdmin):
    list_display = ["name", "tenant", "kind", "row_count", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    exclude = ["data"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "data"]


@admin.register(RiskModel)
class RiskModelAdmin(ModelCardAdminMixin, RiskAdmin):
    list_display = ["name", "version", "state", "tenant", "auc", "created_at", "promoted_at"]
    list_filter = ["state", "name"]
    exclude = ["booster"]

    def get_readonly_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name != "booster"]
        return [*self.card_first, *names]

    @admin.display(description="CV AUC")
    def auc(self, obj):
        return (obj.card or {}).get("metrics", {}).get("cv_auc_mean")


@admin.register(Decision)
class DecisionAdmin(DecisionExplanationAdminMixin, RiskAdmin):
    list_display = [
        "created_at",
        "tenant",
        "model",
        "outcome",
        "probability",
        "points",
        "reference",
    ]
    list_filter = ["outcome"]
    search_fields = ["reference"]
    extra_readonly = DecisionExplanationAdminMixin.explanation_fields
    sensitive = True  # applicants' data: reads are audited


@admin.register(BatchScoring)
class BatchScoringAdmin(RiskAdmin):
    list_display = ["created_at", "tenant", "model", "dataset", "row_count"]


@admin.register(MonitoringFinding)
class MonitoringFindingAdmin(RiskAdmin):
    list_display = ["created_at", "tenant", "model", "kind", "feature", "value", "alert"]
    list_filter = ["alert", "kind"]
    search_fields = ["feature"]


@admin.register(FraudRing)
class FraudRingAdmin(RiskAdmin):
    list_display = ["score", "size", "confirmed_fraud_members", "tenant", "detected_at"]
    extra_readonly = ("picture",)

    @admin.display(description="Picture")
    def picture(self, obj):
        """The ring drawn from its first member (confirmed fraud first): the accounts, the
        identifiers they share and a legend; inline, as the decision page's waterfall is."""
        member = (
            RiskAccount.objects.filter(tenant_id=obj.tenant_id, ring=obj)
            .order_by("-confirmed_fraud", "external_id")
            .first()
        )
        if member is None:
            return "-"
        png = account_ring_png(tenant=obj.tenant, account=member)
        return format_html(
            '<img class="fraud-ring-picture" alt="{}" src="data:image/png;base64,{}" '
            'style="max-width:100%;height:auto">',
            f"Fraud ring of {obj.size} accounts around {member.external_id}",
            base64.b64encode(png).decode("ascii"),
        )


@admin.register(RiskAccount)
class RiskAccountAdmin(RiskAdmin):
    list_display = ["external_id", "tenant", "confirmed_fraud", "ring"]
    list_filter = ["confirmed_fraud"]
    search_fields = ["external_id"]


@admin.register(Transaction)
class TransactionAdmin(RiskAdmin):
    list_display = ["occurred_at", "tenant", "account", "amount", "is_fraud"]
    list_filter = ["is_fraud"]
    sensitive = True


@admin.register(FraudDecision)
class FraudDecisionAdmin(RiskAdmin):
    """Scored transactions (issue 24): read-only; written only by the scoring service."""

    list_display = ["created_at", "tenant", "outcome", "probability", "model", "feature_path",
                    "audited_at"]  # fmt: skip
    list_filter = ["outcome", "feature_path"]
    search_fields = ["idempotency_key", "transaction__reference"]
    list_select_related = ["tenant", "model"]
    sensitive = True  # behaviour of a card holder's account: reads are audited
