"""The throw-away vertical's API: one tenant-scoped viewset, as every vertical writes them."""

from django.urls import include, path
from rest_framework import routers, serializers

from apps.accounts.roles import Role
from apps.surface.viewsets import TenantScopedModelViewSet

from .models import Widget


class WidgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Widget
        fields = ["id", "name"]


class WidgetViewSet(TenantScopedModelViewSet):
    queryset = Widget.objects.all()
    serializer_class = WidgetSerializer
    allowed_roles = {
        "read": {Role.ADMIN, Role.ANALYST, Role.AUDITOR},
        "write": {Role.ADMIN, Role.ANALYST},
    }

    def perform_create(self, serializer):
        serializer.validated_data["tenant"] = self.request.tenant
        super().perform_create(serializer)


router = routers.SimpleRouter()
router.register("widgets", WidgetViewSet)
urlpatterns = [path("", include(router.urls))]
