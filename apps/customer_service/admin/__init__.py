"""The customer-service admin: intents with their examples, trained versions with their
evaluation reports, conversations with transcripts, the agent queue (an agent's reply joins
the transcript), the review queue (approve a correction), ratings, reports and demo orders.
Tenant-scoped; admins and agents work here, auditors read."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from apps.accounts.roles import Role
from apps.customer_service import services
from apps.customer_service.models import (
    Conversation,
    CorrectionKind,
    DemoOrder,
    Handoff,
    Intent,
    IntentModel,
    Rating,
    RatingsReport,
    ReviewItem,
    ReviewState,
    TrainingExample,
    Turn,
)
from apps.surface.admin_base import ServiceWrittenAdmin, TenantScopedAdmin

READERS = frozenset({Role.ADMIN, Role.AGENT, Role.AUDITOR})
WRITERS = frozenset({Role.ADMIN, Role.AGENT})


def transcript_html(conversation: Conversation):
    turns = Turn.objects.filter(conversation=conversation).order_by("seq")
    rows = format_html_join(
        "",
        '<tr><td>{}</td><td><strong>{}</strong></td><td style="white-space: pre-wrap">{}</td>'
        "<td>{}</td><td>{}</td></tr>",
        (
            (
                t.seq,
                t.role,
                t.text,
                t.intent + (" (fallback)" if t.fallback else ""),
                ", ".join(t.sources),
            )
            for t in turns
        ),
    )
    return format_html(
        '<table class="cs-transcript"><thead><tr><th>#</th><th>who</th><th>message</th>'
        "<th>intent</th><th>sources</th></tr></thead><tbody>{}</tbody></table>",
        rows,
    )


class ReadOnlyAdmin(ServiceWrittenAdmin):
    """Rows written by the services only, so the audit trail matches the database."""

    allowed_roles = READERS
    write_roles = WRITERS

    def has_delete_permission(self, request, obj=None):
        return False


class TrainingExampleInline(admin.TabularInline):
    model = TrainingExample
    fields = ["text", "split", "source"]
    readonly_fields = ["source"]
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.tenant = obj.tenant if obj else None
        return formset

    # Inlines check Django's per-model permissions by default; here, like every admin of
    # tenant rows, the roles held in the tenants decide.
    allowed_roles = READERS
    tenants_for = TenantScopedAdmin.tenants_for
    _has_role = TenantScopedAdmin._has_role

    def has_view_permission(self, request, obj=None):
        return self._has_role(request, READERS)

    def has_add_permission(self, request, obj=None):
        return obj is not None and self._has_role(request, WRITERS)

    def has_change_permission(self, request, obj=None):
        return self._has_role(request, WRITERS)

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, WRITERS)


@admin.register(Intent)
class IntentAdmin(TenantScopedAdmin):
    allowed_roles = READERS
    write_roles = WRITERS
    list_display = ["name", "tenant", "description", "required_slots", "created_at"]
    search_fields = ["name"]
    inlines = [TrainingExampleInline]

    def save_formset(self, request, form, formset, change):
        for example in formset.save(commit=False):
            example.tenant = form.instance.tenant
            if example._state.adding:
                example.source = "admin"
            example.save()
        for removed in formset.deleted_objects:
            removed.delete()


@admin.register(TrainingExample)
class TrainingExampleAdmin(ReadOnlyAdmin):
    list_display = ["text", "intent", "split", "source", "tenant"]
    list_filter = ["split", "source"]
    search_fields = ["text"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IntentModel)
class IntentModelAdmin(ReadOnlyAdmin):
    list_display = ["version", "tenant", "active", "accuracy", "example_count", "created_at"]
    exclude = ["classifier", "sentiment"]
    extra_readonly = ("evaluation",)

    def get_readonly_fields(self, request, obj=None):
        hidden = {"classifier", "sentiment"}
        return [f.name for f in self.model._meta.fields if f.name not in hidden] + ["evaluation"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="active", boolean=True, ordering="state")
    def active(self, obj):
        return obj.active  # the registry's champion

    @admin.display(description="accuracy")
    def accuracy(self, obj):
        return (obj.report or {}).get("accuracy")

    @admin.display(description="evaluation (held-out split)")
    def evaluation(self, obj):
        report = obj.report or {}
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (name, r["precision"], r["recall"], r["f1"], r["support"])
                for name, r in (report.get("per_intent") or {}).items()
            ),
        )
        return format_html(
            "<p>accuracy {} · macro F1 {} · OOS recall {} · in-scope precision {}</p>"
            "<table><tr><th>intent</th><th>precision</th><th>recall</th><th>F1</th>"
            "<th>support</th></tr>{}</table>",
            report.get("accuracy"),
            report.get("macro_f1"),
            report.get("oos_recall"),
            report.get("in_scope_precision"),
            rows,
        )


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ["id", "tenant", "status", "channel", "created_at", "updated_at"]
    list_filter = ["status", "channel"]
    extra_readonly = ("transcript",)

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="transcript")
    def transcript(self, obj):
        return transcript_html(obj)


class HandoffReplyForm(forms.ModelForm):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Your answer joins the conversation's transcript.",
    )
    close = forms.BooleanField(
        required=False, help_text="Close the handoff: the assistant answers again."
    )

    class Meta:
        model = Handoff
        fields = []


@admin.register(Handoff)
class HandoffAdmin(TenantScopedAdmin):
    """The agent queue."""

    allowed_roles = READERS
    write_roles = WRITERS
    form = HandoffReplyForm
    list_display = ["conversation", "tenant", "reason", "state", "created_at"]
    list_filter = ["state", "reason"]
    readonly_fields = ["conversation", "reason", "state", "agent", "created_at", "transcript"]
    fields = [
        "conversation",
        "reason",
        "state",
        "agent",
        "created_at",
        "transcript",
        "reply",
        "close",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="transcript")
    def transcript(self, obj):
        return transcript_html(obj.conversation)

    def save_model(self, request, obj, form, change):
        text = form.cleaned_data.get("reply", "").strip()
        if text:
            services.agent_reply(conversation=obj.conversation, user=request.user, text=text)
        if form.cleaned_data.get("close"):
            services.handoff_close(conversation=obj.conversation)
        obj.refresh_from_db()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversation")


class ReviewForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "—"), ("approve", "Approve the correction"), ("dismiss", "Dismiss")],
        required=False,
    )
    kind = forms.ChoiceField(choices=[("", "—"), *CorrectionKind.choices], required=False)

    class Meta:
        model = ReviewItem
        fields = ["kind", "intent", "correction"]


@admin.register(ReviewItem)
class ReviewItemAdmin(TenantScopedAdmin):
    """Low-rated replies; approving turns the correction into a training example (intent) or
    an FAQ entry of the shop graph."""

    allowed_roles = READERS
    write_roles = frozenset({Role.ADMIN})
    form = ReviewForm
    list_display = ["turn", "tenant", "state", "kind", "created_at"]
    list_filter = ["state", "kind"]
    readonly_fields = ["state", "question_and_reply", "faq_key", "resolved_at", "created_at"]
    fields = [
        "state",
        "question_and_reply",
        "decision",
        "kind",
        "intent",
        "correction",
        "faq_key",
        "resolved_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="conversation")
    def question_and_reply(self, obj):
        return transcript_html(obj.turn.conversation)

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if obj.state != ReviewState.OPEN or not decision:
            return
        fresh = ReviewItem.objects.get(pk=obj.pk)
        try:
            if decision == "dismiss":
                services.review_dismiss(tenant=fresh.tenant, item=fresh, user=request.user)
            else:
                services.review_approve(
                    tenant=fresh.tenant,
                    item=fresh,
                    kind=form.cleaned_data.get("kind") or "",
                    correction=form.cleaned_data.get("correction") or "",
                    intent=form.cleaned_data.get("intent") or "",
                    user=request.user,
                )
        except services.ReviewError as exc:
            messages.error(request, str(exc))


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["turn", "tenant", "score", "rater", "created_at"]
    list_filter = ["score", "rater"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RatingsReport)
class RatingsReportAdmin(ReadOnlyAdmin):
    list_display = ["period_start", "period_end", "tenant", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DemoOrder)
class DemoOrderAdmin(TenantScopedAdmin):
    allowed_roles = READERS
    write_roles = WRITERS
    list_display = ["number", "tenant", "status", "product_key", "tracking"]
    list_filter = ["status"]
    search_fields = ["number"]


# The per-shop configuration's pages live in their own module (this one is long enough).
from apps.customer_service.admin import shop  # noqa: E402, F401
