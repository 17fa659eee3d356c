"""The tenant's model-governance settings in the admin (issue 22): a form field per setting
(``services.governance_settings.SETTINGS``) instead of the stored JSON, and a table of the
settings in force beside the deployment's defaults. Saved through the service (checked and
audited); only the platform's staff may change four eyes, as on the tenant itself. Rows are
never deleted here: deleting one would put back the deployment's defaults, four eyes
included, without anyone deciding so."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError as FormValidationError
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import ValidationError

from apps.accounts.authz import is_platform_staff
from apps.accounts.roles import Role
from apps.core.context import actor_scope
from apps.surface.admin_base import TenantScopedAdmin, admin_actor

from .models import RiskGovernanceSettings
from .services.governance_settings import (
    SETTINGS,
    governance_settings,
    governance_settings_overrides,
    governance_settings_update,
    governance_values_check,
)

_FIELDS = {
    "float": lambda spec: forms.FloatField(min_value=spec.low, max_value=spec.high),
    "int": lambda spec: forms.IntegerField(min_value=spec.low, max_value=spec.high),
    "bool": lambda spec: forms.BooleanField(required=False),
    "choice": lambda spec: forms.ChoiceField(choices=[(c, c) for c in spec.choices]),
    "tolerances": lambda spec: forms.JSONField(required=False),
}


def _field(key, spec):
    field = _FIELDS[spec.kind](spec)
    field.help_text = spec.help
    return field


class _SettingsForm(forms.ModelForm):
    """One field per setting (declared below), starting from the settings in force."""

    staff = False  # set per request by the admin's get_form

    class Meta:
        model = RiskGovernanceSettings
        fields = ["tenant"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.instance.tenant if self.instance.pk else None
        shown = governance_settings(tenant) if tenant else settings.RISK_GOVERNANCE_DEFAULTS
        for key in SETTINGS:
            if key in self.fields:
                self.fields[key].initial = shown[key]
        if tenant is not None and "tenant" in self.fields:
            self.fields["tenant"].disabled = True
        if "four_eyes" in self.fields:
            # A tenant's own admin may not switch four eyes off to promote alone.
            self.fields["four_eyes"].disabled = not self.staff

    def clean(self):
        cleaned = super().clean()
        values = {key: cleaned.get(key) for key in self.changed_data if key in SETTINGS}
        if "feature_tolerance" in values and values["feature_tolerance"] is None:
            values["feature_tolerance"] = {}
        try:
            self.settings_changed = governance_values_check(values)
        except ValidationError as exc:
            raise FormValidationError(
                {key: [str(m) for m in messages] for key, messages in exc.detail.items()}
            ) from exc
        return cleaned


GovernanceSettingsForm = type(
    "GovernanceSettingsForm",
    (_SettingsForm,),
    {key: _field(key, spec) for key, spec in SETTINGS.items()},
)


@admin.register(RiskGovernanceSettings)
class RiskGovernanceSettingsAdmin(TenantScopedAdmin):
    form = GovernanceSettingsForm
    allowed_roles = frozenset({Role.ADMIN, Role.ANALYST, Role.AUDITOR})
    write_roles = frozenset({Role.ADMIN})
    list_display = ["tenant", "overridden", "updated_at"]
    readonly_fields = ["in_force"]

    def get_fields(self, request, obj=None):
        return ["tenant", "in_force", *SETTINGS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"staff": is_platform_staff(request.user)})

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="set by the tenant")
    def overridden(self, obj):
        return ", ".join(sorted(obj.values or {})) or "nothing (the deployment's defaults)"

    @admin.display(description="settings in force")
    def in_force(self, obj):
        if obj is None or obj.pk is None:
            return "The deployment's defaults until saved."
        values, own = governance_settings(obj.tenant), governance_settings_overrides(obj.tenant)
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    key,
                    values[key],
                    "tenant" if key in own else "default",
                    spec.help,
                )
                for key, spec in SETTINGS.items()
            ),
        )
        return format_html(
            '<table class="governance-settings"><thead><tr><th>setting</th><th>value</th>'
            "<th>from</th><th>meaning</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def save_model(self, request, obj, form, change):
        # The service's audit event names the person, as the API's does.
        with actor_scope(admin_actor(request, obj.tenant)):
            governance_settings_update(
                tenant=obj.tenant,
                values=form.settings_changed,
                member=not is_platform_staff(request.user),
            )
        row = RiskGovernanceSettings.objects.get(tenant=obj.tenant)
        obj.pk, obj.public_id, obj.values = row.pk, row.public_id, row.values
