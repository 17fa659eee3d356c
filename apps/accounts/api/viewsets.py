"""Tenant scoping in one place: every API view over tenant rows derives from these.

``get_queryset`` filters by the request's tenant before anything else can see the rows, and
``get_object`` answers 404, never 403, for another tenant's object (and audits the attempt), so
that ids of other tenants' rows cannot even be confirmed to exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import mixins, viewsets

from apps.core.context import get_request_id


class TenantScopedMixin:
    """Set ``queryset`` (unscoped) or override ``get_tenant_queryset(tenant)``.

    ``tenant_field`` names the path from the model to its tenant (default ``tenant``).
    """

    tenant_field = "tenant"

    def get_tenant_queryset(self, tenant):
        return self.queryset.model._default_manager.filter(**{self.tenant_field: tenant})

    def get_queryset(self):
        queryset = self.get_tenant_queryset(self.request.tenant)
        base = getattr(self, "queryset", None)
        if base is not None and base.query.order_by and not queryset.query.order_by:
            queryset = queryset.order_by(*base.query.order_by)
        return queryset

    def get_object(self):
        try:
            return super().get_object()
        except Http404:  # get_object_or_404 raises Django's, not DRF's, NotFound
            self._audit_cross_tenant_lookup()
            raise

    def _audit_cross_tenant_lookup(self):
        """If the object exists in another tenant, record the denied attempt."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs.get(lookup)
        model = self.get_tenant_queryset(self.request.tenant).model
        try:
            exists = model._default_manager.filter(**{self.lookup_field: value}).exists()
        except (ValueError, TypeError, DjangoValidationError):  # a malformed id is not found
            exists = False
        if not exists:
            return
        from apps.audit.services import audit_event_record

        audit_event_record(
            tenant=self.request.tenant,
            action=f"{model._meta.label_lower}.read",
            resource_type=model._meta.label_lower,
            resource_id=str(value),
            outcome="denied",
            status_code=404,
            details={"reason": "object belongs to another tenant"},
            request_id=get_request_id(),
        )


class TenantScopedModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):
    """CRUD over one tenant's rows."""


class TenantScopedReadOnlyViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve over one tenant's rows."""


class TenantScopedCreateListRetrieveViewSet(
    TenantScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Create, list and retrieve; no update or delete (append-only resources)."""
