"""Tenant administration over REST: who am I, members, API keys, usage."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.models import ApiKey, Membership, QuotaMetric, UsageCounter
from apps.accounts.roles import Role
from apps.accounts.selectors import (
    api_keys_of,
    members_of,
    quota_limit,
    usage_of,
    usage_today,
)
from apps.accounts.services import (
    api_key_issue,
    api_key_revoke,
    invitation_create,
    membership_delete,
    membership_role_change,
)
from apps.core.context import get_actor
from apps.core.public_ids import PublicIdLookupMixin
from apps.surface.viewsets import (
    PlatformAPIView,
    TenantScopedMixin,
    TenantScopedReadOnlyViewSet,
)

from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    InvitationSentSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    UsageSerializer,
    WhoAmISerializer,
)

ADMINS = {Role.ADMIN}
INVITATION_SENT = "If a user with this username exists, they have been invited to this tenant."


class WhoAmIView(PlatformAPIView):
    """The tenant and role this request acts for, and today's quota use."""

    @extend_schema(responses=WhoAmISerializer)
    def get(self, request):
        quotas = {}
        for metric in QuotaMetric.values:
            quotas[metric] = {
                "limit": quota_limit(tenant=request.tenant, metric=metric),
                "used_today": usage_today(tenant=request.tenant, metric=metric),
            }
        data = {
            "tenant": request.tenant.slug,
            "tenant_name": request.tenant.name,
            "role": request.role,
            "actor": get_actor().as_dict(),
            "quotas": quotas,
        }
        return Response(WhoAmISerializer(data).data)


class ApiKeyViewSet(TenantScopedReadOnlyViewSet, mixins.CreateModelMixin):
    """The tenant's API keys (admins only). The secret is returned once, by create."""

    queryset = ApiKey.objects.order_by("-created_at")
    serializer_class = ApiKeySerializer
    allowed_roles = ADMINS
    filterset_fields = ["role"]

    def get_tenant_queryset(self, tenant):
        return api_keys_of(tenant=tenant)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request):
        body = ApiKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "pk", None) else None
        created = api_key_issue(tenant=request.tenant, created_by=user, **body.validated_data)
        data = ApiKeySerializer(created.api_key).data | {"token": created.token}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the key at once; requests with it are refused from now on."""
        api_key = self.get_object()
        api_key_revoke(api_key=api_key)  # audited by the service
        return Response(ApiKeySerializer(api_key).data)


class MembershipViewSet(
    PublicIdLookupMixin,
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who belongs to the tenant and in which role (admins only)."""

    queryset = Membership.objects.order_by("user__username")
    serializer_class = MembershipSerializer
    allowed_roles = ADMINS
    filterset_fields = ["role"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_tenant_queryset(self, tenant):
        return members_of(tenant=tenant)

    @extend_schema(request=MembershipCreateSerializer, responses={202: InvitationSentSerializer})
    def create(self, request):
        """Invite a user by username; they join when they accept. The answer is the same
        whether or not the username exists (no enumeration, no forced membership)."""
        body = MembershipCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user if getattr(request.user, "pk", None) else None
        invitation_create(
            tenant=request.tenant,
            username=body.validated_data["username"],
            role=body.validated_data["role"],
            invited_by=user,
        )
        return Response({"detail": INVITATION_SENT}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=MembershipUpdateSerializer, responses=MembershipSerializer)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        body = MembershipUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = membership_role_change(
            tenant=request.tenant, membership=membership, role=body.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, pk=None):
        membership = self.get_object()
        membership_delete(tenant=request.tenant, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UsageViewSet(PublicIdLookupMixin, TenantScopedReadOnlyViewSet):
    """Metered usage per day (requests, model tokens, compute seconds)."""

    queryset = UsageCounter.objects.order_by("-day", "metric")
    serializer_class = UsageSerializer
    allowed_roles = {Role.ADMIN, Role.AUDITOR}
    filterset_fields = ["metric", "day"]

    def get_tenant_queryset(self, tenant):
        return usage_of(tenant=tenant)
