"""The admin's "Onboard a tenant" page (platform staff only): the tenant, its first
administrator's invitation and its quotas in one form (apps.accounts.onboarding, all or nothing,
audited), optionally the verticals' demo content as a job. The first password of an
administrator account created here is shown once, on the answer page, and stored nowhere."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from apps.accounts.authz import is_platform_staff
from apps.accounts.models import QuotaMetric
from apps.accounts.onboarding import OnboardingError, tenant_onboard

from .demo_content import demo_seed_commands, tenant_demo_content_start

# OnboardingError.field -> the form's field.
FORM_FIELDS = {"name": "name", "slug": "slug", "admin": "admin_username", "quota": None}


class TenantOnboardForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="The tenant's display name.")
    slug = forms.SlugField(
        required=False, help_text="Its short name in URLs and X-Tenant (default: from the name)."
    )
    admin_username = forms.CharField(
        max_length=150,
        label="First administrator",
        help_text="An existing user, or a new account made now (its first password is shown "
        "once). They join by accepting the invitation after signing in.",
    )
    admin_email = forms.EmailField(required=False, label="Administrator's e-mail")
    demo_content = forms.BooleanField(
        required=False,
        label="Demo content",
        help_text="Seed each vertical's demo data into the new tenant (a job of a few minutes).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for metric, label in QuotaMetric.choices:
            self.fields[f"quota_{metric}"] = forms.IntegerField(
                required=False,
                min_value=0,
                label=label,
                help_text="Empty: the platform's default.",
            )

    def quotas(self) -> dict[str, int]:
        return {
            metric: self.cleaned_data[f"quota_{metric}"]
            for metric in QuotaMetric.values
            if self.cleaned_data.get(f"quota_{metric}") is not None
        }


def tenant_onboard_view(model_admin, request):
    """GET: the form; POST: onboard, then answer with what was done (never a redirect, so the
    first password appears once and only here)."""
    if not is_platform_staff(request.user):
        raise PermissionDenied("Only platform staff onboard tenants.")
    form = TenantOnboardForm(request.POST or None)
    done = job = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = tenant_onboard(
                name=data["name"],
                slug=data["slug"] or None,
                admin_username=data["admin_username"],
                admin_email=data["admin_email"],
                quotas=form.quotas(),
                invited_by=request.user,
            )
        except OnboardingError as exc:
            form.add_error(FORM_FIELDS.get(exc.field), exc.message)
        else:
            if data["demo_content"]:
                job = tenant_demo_content_start(tenant=done.tenant)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Onboard a tenant",
        "form": form,
        "done": done,
        "job": job,
        "demo_verticals": [vertical for vertical, _ in demo_seed_commands()],
    }
    return TemplateResponse(request, "admin/accounts/tenant/onboard.html", context)
