"""The admin's "Onboard a tenant" page (platform staff only): the tenant, its first
administrator's invitation and its quotas in one form (apps.accounts.onboarding, all or nothing,
audited), optionally the verticals' demo content as a job. The first password of an
administrator account created here is shown once, on the answer page, and stored nowhere."""

from __future__ import annotations

import logging

from celery import current_app
from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from apps.accounts.authz import is_platform_staff
from apps.accounts.models import QuotaMetric
from apps.accounts.onboarding import (
    NAME_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    OnboardingError,
    tenant_onboard,
)
from apps.core.context import actor_scope
from apps.surface.admin_base import admin_actor

from .demo_content import demo_seed_commands, tenant_demo_content_start

logger = logging.getLogger(__name__)

# OnboardingError.field -> the form's field.
FORM_FIELDS = {"name": "name", "slug": "slug", "admin": "admin_username", "quota": None}


class TenantOnboardForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="The tenant's display name.")
    slug = forms.SlugField(
        required=False,
        max_length=SLUG_MAX_LENGTH,
        help_text="Its short name in URLs and X-Tenant (default: from the name).",
    )
    admin_username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
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
                max_value=2**62,
                label=label,
                help_text="Empty: the platform's default.",
            )

    def quotas(self) -> dict[str, int]:
        return {
            metric: self.cleaned_data[f"quota_{metric}"]
            for metric in QuotaMetric.values
            if self.cleaned_data.get(f"quota_{metric}") is not None
        }


def tasks_run_in_process() -> bool:
    """No broker (``make run``'s zero-setup mode): a queued job would run inside this request."""
    return bool(current_app.conf.task_always_eager)


def _demo_content(done) -> tuple[object | None, str]:
    """Start the demo-content job, or say how to seed it: never at the cost of the answer page,
    which holds the only copy of a new administrator's first password."""
    command = f"manage.py tenant_demo_content {done.tenant.slug}"
    if tasks_run_in_process():
        # The seeding takes minutes; inline it would outlast the web server's time-out.
        return None, f"Tasks run in this process here (no broker): run `{command}` to seed it."
    try:
        return tenant_demo_content_start(tenant=done.tenant), ""
    except Exception:
        logger.exception("demo content job for tenant %s not queued", done.tenant.slug)
        return None, f"The demo-content job could not be queued: run `{command}`."


def tenant_onboard_view(model_admin, request):
    """GET: the form; POST: onboard, then answer with what was done (never a redirect, so the
    first password appears once and only here). The writes are audited under the signed-in
    operator (admin requests carry no API credential to name them)."""
    if not is_platform_staff(request.user):
        raise PermissionDenied("Only platform staff onboard tenants.")
    form = TenantOnboardForm(request.POST or None)
    done = job = None
    demo_note = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = request.user
        # The new tenant does not exist yet: the operator acts for none.
        with actor_scope(admin_actor(request, None)):
            try:
                done = tenant_onboard(
                    name=data["name"],
                    slug=data["slug"] or None,
                    admin_username=data["admin_username"],
                    admin_email=data["admin_email"],
                    quotas=form.quotas(),
                    invited_by=user,
                )
            except OnboardingError as exc:
                form.add_error(FORM_FIELDS.get(exc.field), exc.message)
            else:
                if data["demo_content"]:
                    job, demo_note = _demo_content(done)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Onboard a tenant",
        "form": form,
        "done": done,
        "job": job,
        "demo_note": demo_note,
        "demo_verticals": [vertical for vertical, _ in demo_seed_commands()],
    }
    return TemplateResponse(request, "admin/accounts/tenant/onboard.html", context)
