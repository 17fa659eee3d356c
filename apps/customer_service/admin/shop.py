"""Admin pages of the per-shop configuration (registered by ``admin.py``): assistant settings
(admins edit them; the change goes through the audited service), help-centre documents with
their chunks, connectors (read here; written through the API, which checks the allow-list)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from apps.accounts.roles import Role
from apps.customer_service.models import AssistantSettings, Connector, Document
from apps.customer_service.services.assistant import SETTINGS_FIELDS, assistant_settings_update
from apps.surface.admin_base import ServiceWrittenAdmin, TenantScopedAdmin

READERS = frozenset({Role.ADMIN, Role.AGENT, Role.AUDITOR})


@admin.register(AssistantSettings)
class AssistantSettingsAdmin(TenantScopedAdmin):
    allowed_roles = READERS
    write_roles = frozenset({Role.ADMIN})
    list_display = ["brand_name", "tenant", "default_language", "languages", "updated_at"]

    def save_model(self, request, obj, form, change):
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        fields = {k: v for k, v in changed.items() if k in SETTINGS_FIELDS}
        saved = assistant_settings_update(tenant=obj.tenant, **fields)
        obj.pk, obj.public_id = saved.pk, saved.public_id


@admin.register(Document)
class DocumentAdmin(ServiceWrittenAdmin):
    allowed_roles = READERS
    deletable = False
    list_display = ["name", "title", "language", "version", "tenant", "updated_at"]
    search_fields = ["name", "title"]
    extra_readonly = ("chunk_table",)

    @admin.display(description="chunks of the current version")
    def chunk_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((c.seq, " › ".join(c.heading_path), c.text) for c in obj.chunks.order_by("seq")),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)


@admin.register(Connector)
class ConnectorAdmin(ServiceWrittenAdmin):
    allowed_roles = READERS
    deletable = False
    list_display = ["name", "kind", "base_url", "tenant", "failures", "open_until", "active"]
