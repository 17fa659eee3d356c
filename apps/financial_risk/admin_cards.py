"""What the financial-risk admin shows a reviewer instead of raw JSON: a model version's card
as a readable page (with its HTML and PDF export), a decision's SHAP waterfall drawn by shap as
inline SVG fitted to the page, its explanation in numbers and its reasons in English and
Chinese. Mixed into the admins of ``admin.py``."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .engine.reason_phrases import LANGUAGES
from .services import decision_explained, decision_waterfall, reasons_in
from .services.model_card import model_card_body, model_card_html, model_card_pdf

CARD_EXPORTS = {
    "html": ("text/html; charset=utf-8", model_card_html),
    "pdf": ("application/pdf", model_card_pdf),
}
# The admin lays a read-only field out as a flex item sized to its content, where a picture
# of width 100% has nothing to be 100% of: the field takes the rest of the row instead, and
# the picture its width, never more than its own.
FIT = (
    "<style>.field-waterfall .readonly, .field-model_card .readonly "
    "{flex: 1 1 auto; min-width: 0; max-width: 100%; margin-left: 0}</style>"
)
BOX = '<div class="shap-picture" style="width: 100%; min-width: 0">{}</div>'


class ModelCardAdminMixin:
    """The change page opens with the readable card; the stored JSON fields follow, folded."""

    card_first = ("model_card",)

    def get_fieldsets(self, request, obj=None):
        stored = [f for f in self.get_readonly_fields(request, obj) if f not in self.card_first]
        return [
            ("Model card", {"fields": list(self.card_first)}),
            ("Stored fields", {"classes": ["collapse"], "fields": stored}),
        ]

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_model_card"
        view = self.admin_site.admin_view(self.model_card_export)
        export = path("<path:object_id>/model-card/<str:kind>/", view, name=name)
        return [export, *super().get_urls()]

    def model_card_export(self, request, object_id, kind):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or kind not in CARD_EXPORTS or not self.has_view_permission(request, obj):
            raise Http404("No such model card.")
        content_type, render = CARD_EXPORTS[kind]
        response = HttpResponse(render(obj), content_type=content_type)
        filename = f"model-card-{obj.name}-v{obj.version}.{kind}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.display(description="Model card")
    def model_card(self, obj):
        if obj is None or not obj.card:
            return "-"
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_model_card"
        links = format_html(
            '<p><a class="button" href="{}">Export as HTML</a> '
            '<a class="button" href="{}">Export as PDF</a></p>',
            reverse(name, args=[obj.pk, "html"]),
            reverse(name, args=[obj.pk, "pdf"]),
        )
        return mark_safe(FIT) + links + mark_safe(model_card_body(obj))  # noqa: S308 - a template, auto-escaped


class DecisionExplanationAdminMixin:
    """The decision's waterfall (shap's SVG, text searchable), its numbers and its reasons."""

    explanation_fields = ("explanation", "waterfall", "reason_phrases")

    def get_fieldsets(self, request, obj=None):
        first = list(self.explanation_fields)
        stored = [f for f in self.get_readonly_fields(request, obj) if f not in first]
        return [("Explanation", {"fields": first}), ("Decision", {"fields": stored})]

    @admin.display(description="Explanation")
    def explanation(self, obj):
        if obj is None:
            return "-"
        e = decision_explained(obj)
        return format_html(
            '<span class="decision-explanation">E[f(X)] = {} · f(x) = {} log-odds of default · '
            "P(default) = 1 / (1 + exp(-({} · f(x) + {}))) = {}</span>",
            f"{e['base_value']:.3f}",
            f"{e['fx']:.3f}",
            f"{e['calibration']['a']:.3f}",
            f"{e['calibration']['b']:.3f}",
            f"{e['probability']:.3f}",
        )

    @admin.display(description="SHAP waterfall")
    def waterfall(self, obj):
        if obj is None:
            return "-"
        return mark_safe(FIT) + format_html(BOX, mark_safe(decision_waterfall(obj)))  # noqa: S308 - matplotlib SVG, text escaped

    @admin.display(description="Reasons")
    def reason_phrases(self, obj):
        if obj is None or not obj.reasons:
            return "-"
        written = {language: reasons_in(obj, language) for language in LANGUAGES}
        rows = zip(*(written[language] for language in LANGUAGES), strict=True)
        return format_html(
            '<table class="decision-reasons"><tr><th>English</th><th>中文</th>'
            "<th>SHAP (log-odds)</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((en["phrase"], zh["phrase"], en.get("contribution")) for en, zh in rows),
            ),
        )
