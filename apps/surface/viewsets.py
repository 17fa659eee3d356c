"""Tenant scoping in one place: every API view over tenant rows derives from these.

``get_queryset`` filters by the request's tenant before anything else can see the rows, and
``get_object`` answers 404, never 403, for another tenant's object, exactly as for an id that
does not exist. Nothing about the other tenant's row is recorded in the requester's chain (that
would tell the requester, who reads its own chain, that the id exists); the refused request is
counted in the platform chain's denial aggregates instead (``apps.audit.services.denials``).
"""

from __future__ import annotations

from rest_framework import exceptions, mixins, viewsets
from rest_framework.views import APIView

from apps.accounts.authz import authorize, readable_domains
from apps.audit.services import audited
from apps.core.public_ids import public_id_of

from .query_params import DeclaredQueryParametersMixin


class ThrottleFirstMixin(DeclaredQueryParametersMixin):
    """Throttles before permissions: DRF's ``APIView.initial`` checks a request's permissions
    and only then its throttles, so a role that may not use a view got its 403 for ever and
    never a 429, however fast it sent. Here the credential's rate and the tenant's quota are
    counted first; a flood of refused requests turns into 429s once over budget (and the
    refusals are still audited as aggregates, ``apps.audit.services.denials``).

    Unknown query parameters are refused last (``DeclaredQueryParametersMixin``), once the
    caller is known to be allowed. Every API view derives from this (``TenantScopedMixin`` and
    ``PlatformAPIView``);
    tests/test_throttle_first.py walks the routes and fails for one that does not.
    """

    # The actions (for a plain API view, the lower-case HTTP methods) that call a model through
    # models_runtime.client: a model time-out or an unavailable model answers them 504/503 in
    # the one error format, which apps/surface/tests/test_model_error_walk.py checks for
    # each, with no worker.
    model_actions: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)
        self.check_query_parameters(request)


class PlatformAPIView(ThrottleFirstMixin, APIView):
    """The base of every API view that is not a tenant-scoped viewset."""


class TenantScopedMixin(ThrottleFirstMixin):
    """Set ``queryset`` (unscoped) or override ``get_tenant_queryset(tenant)``.

    ``tenant_field`` names the path from the model to its tenant (default ``tenant``).
    ``domain_field``, for data that carries a domain (knowledge graphs), names the path to it:
    rows of a domain the role may not read are absent (404), and writes to a domain the role may
    not write are refused (403), as ``apps.accounts.authz`` and its domain table say.
    A query parameter the operation does not document is a 400 (``query_params``).
    """

    tenant_field = "tenant"
    domain_field: str | None = None
    # Actions that change the object they fetch (besides the HTTP verbs that do).
    write_actions: frozenset[str] = frozenset()

    def get_tenant_queryset(self, tenant):
        return self.queryset.model._default_manager.filter(**{self.tenant_field: tenant})

    def get_queryset(self):
        queryset = self.get_tenant_queryset(self.request.tenant)
        if self.domain_field:
            domains = readable_domains(self.request.role)
            queryset = queryset.filter(**{f"{self.domain_field}__in": domains})
        base = getattr(self, "queryset", None)
        if base is not None and base.query.order_by and not queryset.query.order_by:
            queryset = queryset.order_by(*base.query.order_by)
        return queryset

    def get_object(self):
        obj = super().get_object()
        if self.domain_field and self._is_write():
            self.require_domain_write(self._domain_of(obj))
        return obj

    def _is_write(self) -> bool:
        return self.request.method not in ("GET", "HEAD", "OPTIONS") and (
            self.action in self.write_actions
            or self.action in ("update", "partial_update", "destroy")
        )

    def _domain_of(self, obj) -> str:
        value = obj
        for part in self.domain_field.split("__"):
            value = getattr(value, part)
        return value

    # Writes through DRF's generic mixins are audited here, so that a viewset using them cannot
    # forget it (views with their own create/update/destroy call an audited service).
    def _audit_label(self) -> str:
        return self.get_tenant_queryset(self.request.tenant).model._meta.label_lower

    def perform_create(self, serializer):
        label = self._audit_label()
        with audited(
            tenant=self.request.tenant, action=f"{label}.create", resource_type=label
        ) as event:
            instance = serializer.save()
            event.resource_id = public_id_of(instance)

    def perform_update(self, serializer):
        label = self._audit_label()
        with audited(
            tenant=self.request.tenant,
            action=f"{label}.update",
            resource_type=label,
            resource_id=public_id_of(serializer.instance),
            details={"fields": sorted(serializer.validated_data)[:50]},
        ):
            serializer.save()

    def perform_destroy(self, instance):
        label = self._audit_label()
        with audited(
            tenant=self.request.tenant,
            action=f"{label}.delete",
            resource_type=label,
            resource_id=public_id_of(instance),
        ):
            instance.delete()

    def require_domain_write(self, domain: str) -> None:
        """403 unless the request's role may write data of ``domain`` in its tenant."""
        if not authorize(self.request.auth, "write", tenant=self.request.tenant, domain=domain):
            raise exceptions.PermissionDenied(
                f"Your role ({self.request.role}) may not change {domain} data."
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
