"""Every privileged write leaves an audit event, wherever it is made.

The admin walker saves every registered admin's change form, confirms every delete and runs
every action, as the tenant admin the matrix (tests/access_matrix.py) allows; each write must
append an event to the tenant's chain. The API walker sends every write route of the tenant API
with an empty body as the tenant admin: whatever it changes in the database must come with an
event. A new admin or route is covered without anyone writing a test for it.
"""

from __future__ import annotations

import pytest
from django.forms import MultiWidget

from apps.accounts.roles import Role
from apps.audit.models import AuditEvent
from apps.core.public_ids import public_id_of
from tests.access_matrix import ADMIN_EXPECTED
from tests.isolation_registry import make_row
from tests.routes import admin_actions, admin_url, api_routes, tenant_admins

ADMINS = tenant_admins()


def _form_data(response) -> dict:
    """The change form as the browser would post it back, inlines included."""
    data: dict = {}

    def put(form, name):
        bound = form[name]
        value = bound.value()
        key = form.add_prefix(name)
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                if part is not None:
                    data[f"{key}_{index}"] = str(part)
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(value, (list, tuple)):
            data[key] = [str(v) for v in value]
        elif value is not None:
            data[key] = str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value() or 0)
        for child in formset.forms:
            for name in child.fields:
                put(child, name)
    return data


def _events(tenant) -> int:
    return AuditEvent.objects.filter(tenant=tenant).count()


WRITABLE = [
    (m, a)
    for m, a in ADMINS
    if Role.ADMIN in ADMIN_EXPECTED[m._meta.label_lower]["change"]
    or Role.ADMIN in ADMIN_EXPECTED[m._meta.label_lower]["delete"]
    or admin_actions(a)
]


@pytest.mark.django_db
@pytest.mark.parametrize("model,model_admin", WRITABLE, ids=lambda x: getattr(x, "__name__", ""))
def test_every_admin_write_is_audited(model, model_admin, client, make_member, tenant):
    expected = ADMIN_EXPECTED[model._meta.label_lower]
    client.force_login(make_member(tenant, Role.ADMIN))
    label = model._meta.label_lower

    if Role.ADMIN in expected["change"]:
        row = make_row(model, tenant)
        page = client.get(admin_url(model, "change", row.pk))
        assert page.status_code == 200
        before = _events(tenant)
        saved = client.post(admin_url(model, "change", row.pk), _form_data(page))
        errors = saved.context and saved.context.get("errors")
        assert saved.status_code == 302, (label, errors)
        assert _events(tenant) > before, f"saving {label} in the admin left no audit event"

    for action in admin_actions(model_admin):
        if action == "delete_selected" and Role.ADMIN not in expected["delete"]:
            continue
        row = make_row(model, tenant)
        before = _events(tenant)
        client.post(
            admin_url(model, "changelist"),
            {"action": action, "_selected_action": [str(row.pk)], "post": "yes"},
        )
        assert _events(tenant) > before, f"action {action} on {label} left no audit event"

    if Role.ADMIN in expected["delete"]:
        row = make_row(model, tenant)
        before = _events(tenant)
        deleted = client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
        assert deleted.status_code == 302, label
        assert not model._default_manager.filter(pk=row.pk).exists()
        assert _events(tenant) > before, f"deleting {label} in the admin left no audit event"


def test_the_walker_covers_the_admins_that_write():
    labels = {m._meta.label_lower for m, _ in WRITABLE}
    # The writes of the review: grants, memberships, API keys, tenants, clinical notes.
    for label in (
        "medical_records.reidentificationgrant",
        "accounts.membership",
        "accounts.apikey",
        "accounts.tenant",
        "medical_records.note",
    ):
        assert label in labels


# ------------------------------------------------------------------------------------ API

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _table_counts() -> dict[str, int]:
    from django.apps import apps

    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("audit", "sessions", "axes", "contenttypes", "auth")
        and m._meta.label_lower not in ("accounts.usagecounter", "accounts.apikey")
    }


@pytest.mark.django_db
@pytest.mark.parametrize("route", api_routes(), ids=lambda r: r.pattern)
def test_every_api_write_that_changes_rows_is_audited(route, tenant, make_api_client, stub_models):
    """Detail routes are sent for a real row of the route's model (when it has a factory).
    Models answer through the stub: the walk is about the writes, not generation."""
    methods = [m for m in route.methods if m in WRITE_METHODS]
    if not methods:
        return
    client = make_api_client(tenant, Role.ADMIN)
    pk = None
    if route.is_detail:
        model = route.view_class.queryset.model
        pk = public_id_of(make_row(model, tenant))
    for method in methods:
        rows_before, events_before = _table_counts(), _events(tenant)
        client.generic(method, route.url(pk), "{}", content_type="application/json")
        changed = {k for k, v in _table_counts().items() if rows_before.get(k) != v}
        if changed:
            assert _events(tenant) > events_before, (method, route.pattern, changed)
