"""The medical-records admin: notes with their entities highlighted, extractions, findings,
check rule sets (YAML, validated on save), re-identification grants and batches.
Tenant-scoped; clinicians and admins only; every note page opened is audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.accounts.roles import Role
from apps.surface.admin_base import ServiceWrittenAdmin, TenantScopedAdmin

from .models import (
    CheckRuleSet,
    Correction,
    Extraction,
    Finding,
    Note,
    NoteBatch,
    ReidentificationGrant,
)
from .services.checks import RuleSetError, rules_parse
from .services.corrections import correction_create, correction_problems

READERS = frozenset({Role.ADMIN, Role.CLINICIAN})
COLOURS = {
    "present": "#c8e6c9",
    "negated": "#ffcdd2",
    "historical": "#d7ccc8",
    "family": "#bbdefb",
    "hypothetical": "#fff9c4",
    "uncertain": "#ffe0b2",
}


def highlighted(text: str, entities: list[dict]):
    """The note with each entity marked, coloured by assertion, its attributes on hover."""
    parts, position = [], 0
    for entity in sorted(entities, key=lambda e: e["start"]):
        if entity["start"] < position:
            continue
        parts.append(escape(text[position : entity["start"]]))
        title = (
            f"{entity['type']} · {entity['label']} · {entity['code'].get('system')} "
            f"{entity['code'].get('code')} · {entity['assertion']} · section "
            f"{entity['section'] or '-'} · {entity.get('attributes') or {}}"
        )
        parts.append(
            format_html(
                '<mark style="background:{}" title="{}">{}<sub>{}</sub></mark>',
                COLOURS.get(entity["assertion"], "#eee"),
                title,
                text[entity["start"] : entity["end"]],
                entity["assertion"],
            )
        )
        position = entity["end"]
    parts.append(escape(text[position:]))
    return mark_safe(  # noqa: S308 - every piece above is escaped or format_html
        '<div style="white-space:pre-wrap;font-family:monospace;max-width:900px">'
        + "".join(str(p) for p in parts)
        + "</div>"
    )


class ReadOnlyAdmin(ServiceWrittenAdmin):
    """Rows written by the services only, so the audit trail matches the database."""

    allowed_roles = READERS
    sensitive = True

    def has_change_permission(self, request, obj=None):
        return False


class CorrectionInline(admin.TabularInline):
    """The note's corrections, read-only; new ones are added on the Correction page."""

    model = Correction
    fields = ["kind", "entity_id", "start", "end", "code", "assertion", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "source", "language", "patient", "created_at"]
    list_filter = ["source", "language"]
    extra_readonly = ("highlighted_entities", "entity_table")
    exclude = ["text"]
    inlines = [CorrectionInline]

    @admin.display(description="Note (de-identified) with its entities")
    def highlighted_entities(self, obj):
        extraction = getattr(obj, "extraction", None)
        return highlighted(obj.text, extraction.entities if extraction else [])

    @admin.display(description="Entities")
    def entity_table(self, obj):
        extraction = getattr(obj, "extraction", None)
        if extraction is None:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>",
            (
                (
                    e["text"],
                    e["type"],
                    e["assertion"],
                    e["code"].get("system"),
                    e["code"].get("code"),
                    e["section"],
                    e.get("attributes") or "",
                    e["rule"]["target"],
                )
                for e in extraction.entities
            ),
        )
        return format_html(
            "<table><tr><th>text</th><th>type</th><th>assertion</th><th>code</th>"
            "<th>section</th><th>attributes</th><th>rule</th></tr>{}</table>",
            rows,
        )


@admin.register(Extraction)
class ExtractionAdmin(ReadOnlyAdmin):
    list_display = ["id", "note", "pipeline_version", "summary_unsafe", "created_at"]
    list_filter = ["summary_unsafe"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["message", "kind", "severity", "rule", "note", "created_at"]
    list_filter = ["kind", "severity"]


@admin.register(NoteBatch)
class NoteBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "format", "total", "structured", "created_at"]
    exclude = ["encrypted_payload"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "encrypted_payload"]


class CheckRuleSetForm(forms.ModelForm):
    class Meta:
        model = CheckRuleSet
        fields = ["tenant", "name", "definition", "active"]
        widgets = {
            "definition": forms.Textarea(
                attrs={"rows": 30, "cols": 100, "style": "font-family:monospace"}
            )
        }

    def clean_definition(self):
        definition = self.cleaned_data["definition"]
        try:
            rules_parse(definition)
        except RuleSetError as exc:
            raise forms.ValidationError(exc.errors) from exc
        return definition


@admin.register(CheckRuleSet)
class CheckRuleSetAdmin(TenantScopedAdmin):
    """Checks as YAML, validated on save (errors name the rule and field)."""

    allowed_roles = READERS
    write_roles = READERS
    form = CheckRuleSetForm
    list_display = ["name", "tenant", "active", "updated_at"]


@admin.register(ReidentificationGrant)
class ReidentificationGrantAdmin(TenantScopedAdmin):
    """Who may re-identify: admins grant, clinicians see their grants."""

    allowed_roles = READERS
    write_roles = frozenset({Role.ADMIN})
    list_display = ["id", "tenant", "user", "api_key", "reason", "expires_at", "revoked_at"]
    readonly_fields = ["granted_by"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the users and keys of the admin's own tenants can be chosen, never others'.
        if db_field.name in ("user", "api_key") and not request.user.is_superuser:
            tenants = self.tenants_for(request, self.write_roles)
            if db_field.name == "user":
                kwargs["queryset"] = db_field.related_model.objects.filter(
                    memberships__tenant__in=tenants, memberships__role=Role.CLINICIAN
                ).distinct()
            else:
                kwargs["queryset"] = db_field.related_model.objects.filter(
                    tenant__in=tenants, role=Role.CLINICIAN
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
        super().save_model(request, obj, form, change)


class CorrectionForm(forms.ModelForm):
    """A clinician's correction, entered on the admin site; validated and applied by
    ``correction_create`` (the same service as the API), never saved directly."""

    class Meta:
        model = Correction
        fields = [
            "note",
            "kind",
            "entity_id",
            "start",
            "end",
            "entity_type",
            "code_system",
            "code",
            "assertion",
            "phi_kind",
            "comment",
        ]

    def clean(self):
        data = super().clean()
        note = data.get("note")
        if note is not None and hasattr(note, "extraction"):
            given = {k: v for k, v in data.items() if k != "note" and v not in (None, "")}
            for field, messages in correction_problems(note, given).items():
                self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Correction)
class CorrectionAdmin(TenantScopedAdmin):
    """Corrections of extractions: clinicians add them here or through the API; each is applied
    to the extraction, audited, and counted in the error-rate report."""

    form = CorrectionForm
    allowed_roles = READERS
    write_roles = READERS
    list_display = ["kind", "note", "entity_id", "code", "assertion", "created_by", "created_at"]
    list_filter = ["kind"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "note" and not request.user.is_superuser:
            kwargs["queryset"] = Note.objects.filter(tenant__in=self.tenants_for(request, READERS))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        # A correction is a record of what a clinician said: a new one supersedes it.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data.get(f) for f in CorrectionForm.Meta.fields if f != "note"}
        data = {k: v for k, v in data.items() if v not in (None, "")}
        made = correction_create(tenant=obj.note.tenant, note=obj.note, user=request.user, **data)
        obj.pk = made.pk
        obj._state.adding = False
