"""The tenant the admin acts for, and the switcher that changes it.

The API acts for the tenant its credential names; the admin does the same with the tenant
stored in the session (``ADMIN_TENANT_SESSION_KEY``), chosen among the user's active tenants.
Without a choice (or with a stale one: the membership ended, the tenant was deactivated) the
first active tenant, by name, is used, so a user with one tenant never sees the switcher work.
"""

from __future__ import annotations

from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import Tenant
from .selectors import tenants_of

ADMIN_TENANT_SESSION_KEY = "admin_tenant_id"


def admin_tenants(request):
    """The active tenants the request's user may act for in the admin."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Tenant.objects.none()
    return tenants_of(user).order_by("name")


def admin_tenant(request) -> Tenant | None:
    """The tenant this admin request acts for (cached on the request)."""
    if hasattr(request, "_admin_tenant"):
        return request._admin_tenant
    tenants = admin_tenants(request)
    session = getattr(request, "session", None)
    chosen = session.get(ADMIN_TENANT_SESSION_KEY) if session is not None else None
    tenant = tenants.filter(pk=chosen).first() if chosen else None
    tenant = tenant or tenants.first()
    request._admin_tenant = tenant
    return tenant


@require_POST
def admin_tenant_switch(request):
    """Act for another of the user's tenants (POST ``tenant``: its slug)."""
    tenant = admin_tenants(request).filter(slug=request.POST.get("tenant", "")).first()
    if tenant is None:
        raise Http404("No such tenant among yours.")
    request.session[ADMIN_TENANT_SESSION_KEY] = str(tenant.pk)
    target = request.POST.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("admin:index")
    return HttpResponseRedirect(target)


def admin_tenant_context(request) -> dict:
    """Template context for the switcher in the admin's header."""
    if not request.path.startswith("/admin/") or not getattr(request, "user", None):
        return {}
    if not request.user.is_authenticated or not request.user.is_staff:
        return {}
    return {"admin_tenant": admin_tenant(request), "admin_tenants": list(admin_tenants(request))}
