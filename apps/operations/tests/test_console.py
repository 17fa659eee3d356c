"""The operator console: who may open it, what its snapshot holds (metrics from audit events,
jobs, failures, the verticals' panels, the audit chain), tenant scoping, and that the page
carries no inline script."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.roles import Role
from apps.audit.services import audit_event_record
from apps.jobs.models import Job, JobState
from apps.operations import recorder


def fake_handoffs(*, tenant=None, limit=20):
    """Stands in for the customer-service selector: the console must call it by dotted path."""
    slug = tenant.slug if tenant is not None else "all"
    return [
        {
            "conversation_id": f"conv-{slug}",
            "tenant": slug,
            "reason": "asked for a person",
            "waiting_since": timezone.now().isoformat(),
        }
    ]


def broken_panel(*, tenant=None, limit=20):
    raise RuntimeError("vertical is down")


@pytest.fixture
def superuser(db):
    from apps.accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def own_metrics(settings):
    """A key prefix of this test's own: other tests' API requests are recorded too."""
    import uuid

    settings.OPERATIONS_METRICS_PREFIX = f"ops:test:{uuid.uuid4().hex}"


def _job(tenant, **fields):
    fields.setdefault("kind", "test.kind")
    return Job.objects.create(tenant=tenant, task_name="x.y", **fields)


@pytest.mark.django_db
def test_console_access(client, tenant, make_member, superuser):
    url = "/ops/"
    assert client.get(url).status_code == 302  # to the admin login
    client.force_login(make_member(tenant, Role.ANALYST))  # staff, but not an operator
    assert client.get(url).status_code == 403
    assert client.get("/ops/data/").status_code == 403
    client.force_login(make_member(tenant, Role.ADMIN))
    assert client.get(url).status_code == 200
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # Every script is a file from our static folder (CSP: no inline script), Chart.js vendored.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    executable = [attrs for attrs, _ in scripts if "application/json" not in attrs]
    assert executable and all('src="/static/' in attrs for attrs in executable), executable
    assert all(not body.strip() for attrs, body in scripts if "application/json" not in attrs)
    assert "operations/vendor/chart-4.6.1.umd.min.js" in html
    assert 'id="ops-snapshot" type="application/json"' in html
    assert client.get("/static/operations/vendor/chart-4.6.1.umd.min.js").status_code == 200


@pytest.mark.django_db
def test_admin_index_links_to_the_console(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    assert 'href="/ops/"' in html and "Operator console" in html


@pytest.mark.django_db
def test_snapshot_metrics_jobs_failures_and_panels(client, tenant, superuser, settings):
    settings.OPERATIONS_PANELS = {
        "drift_alerts": "apps.financial_risk.selectors.drift_alerts_open",
        "handoffs": "apps.operations.tests.test_console.fake_handoffs",
    }
    for ms in (10, 20, 30, 40, 400):
        recorder.record("financial risk", 201, ms / 1000)
    recorder.record("customer service", 500, 0.05)
    audit_event_record(tenant=tenant, action="inference.chat", model_name="chat")
    audit_event_record(
        tenant=tenant,
        action="customer_service.message.create",
        model_name="chat",
        outcome="error",
        status_code=500,
    )
    audit_event_record(tenant=tenant, action="http.get.denied", outcome="denied", status_code=404)
    _job(tenant, state=JobState.RUNNING, progress_done=3, progress_total=12)
    _job(tenant, state=JobState.SUCCEEDED)
    _job(tenant, state=JobState.FAILED, error="boom", finished_at=timezone.now(), attempts=4)
    _job(tenant, state=JobState.FAILED, error="old", finished_at=timezone.now() - timedelta(days=3))
    _job(
        tenant,
        kind="audit.verify",
        state=JobState.SUCCEEDED,
        finished_at=timezone.now(),
        result={"ok": True, "events": 9, "problems": []},
    )

    client.force_login(superuser)
    snap = client.get("/ops/data/").json()

    assert snap["scope"] == "all tenants"
    assert snap["services"]["database"]["ok"] is True
    t = snap["throughput"]
    assert len(t["labels"]) == 60
    # Requests per vertical from the recorder: latency histogram bounds 10, 25, 50, … 500 ms.
    assert t["vertical_source"] == "API requests (all tenants)"
    risk = t["by_vertical"]["financial risk"]
    assert risk["requests"] == 5 and risk["errors"] == 0 and risk["status"] == {"2xx": 5}
    assert risk["p50_ms"] == 50 and risk["p95_ms"] == 500 and risk["mean_ms"] == 100
    assert sum(risk["series"]) == 5 and risk["series"][-1] == 5 and len(risk["series"]) == 60
    assert t["by_vertical"]["customer service"]["errors"] == 1
    assert set(t["by_vertical"]) == {"financial risk", "customer service"}
    # Model calls from the audit log (the denied request is not a model call).
    assert t["by_model"]["chat"]["requests"] == 2 and t["by_model"]["chat"]["errors"] == 1
    assert t["events_read"] == 2

    assert [(j["state"], j["done"], j["total"]) for j in snap["jobs"]] == [("running", 3, 12)]
    assert [j["error"] for j in snap["failures"]["jobs"]] == ["boom"]
    assert [a["action"] for a in snap["failures"]["actions"]] == ["customer_service.message.create"]
    assert snap["handoffs"]["error"] == "" and snap["handoffs"]["rows"][0]["conversation_id"] == (
        "conv-all"
    )
    assert snap["drift_alerts"] == {
        "rows": [],
        "error": "",
        "source": "apps.financial_risk.selectors.drift_alerts_open",
    }
    verification = snap["audit"]["verification"]
    assert verification["ok"] is True and verification["events"] == 9


@pytest.mark.django_db
def test_drift_alerts_come_from_live_risk_models(tenant, settings):
    from apps.financial_risk.models import ModelState
    from apps.financial_risk.tests.factories import finding
    from apps.operations.panels import vertical_panel

    found = finding(tenant)  # an alert on a draft model: not live, not shown
    assert vertical_panel("drift_alerts")["rows"] == []
    type(found.model).objects.filter(pk=found.model.pk).update(state=ModelState.CHAMPION)
    rows = vertical_panel("drift_alerts")["rows"]
    assert [(r["tenant"], r["feature"], r["alert"]) for r in rows] == [("acme", "income", "alert")]


@pytest.mark.django_db
def test_a_broken_panel_shows_its_error(settings):
    from apps.operations.panels import vertical_panel

    settings.OPERATIONS_PANELS = {"handoffs": "apps.operations.tests.test_console.broken_panel"}
    panel = vertical_panel("handoffs")
    assert panel["rows"] == [] and "vertical is down" in panel["error"]
    settings.OPERATIONS_PANELS = {"handoffs": "apps.nowhere.selectors.missing"}
    assert "No module named" in vertical_panel("handoffs")["error"]


@pytest.mark.django_db
def test_tenant_admin_sees_only_their_tenants_rows(
    client, tenant, other_tenant, make_member, settings
):
    settings.OPERATIONS_PANELS = {"handoffs": "apps.operations.tests.test_console.fake_handoffs"}
    audit_event_record(tenant=tenant, action="financial_risk.decision.create")
    audit_event_record(tenant=other_tenant, action="inference.chat")
    recorder.record("inference API", 200, 0.1)  # platform-wide: not for a tenant's admin
    _job(tenant, state=JobState.QUEUED)
    _job(other_tenant, state=JobState.RUNNING)
    client.force_login(make_member(tenant, Role.ADMIN))
    snap = client.get("/ops/data/").json()
    assert snap["scope"] == "acme"
    assert snap["throughput"]["vertical_source"] == "audited actions"
    assert list(snap["throughput"]["by_vertical"]) == ["financial risk"]
    assert snap["throughput"]["by_vertical"]["financial risk"]["p95_ms"] is None
    assert [j["tenant"] for j in snap["jobs"]] == ["acme"]
    assert [h["tenant"] for h in snap["handoffs"]["rows"]] == ["acme"]


@pytest.mark.django_db
def test_the_handoff_queue_comes_from_customer_service(client, tenant, superuser):
    from apps.customer_service.tests.factories import handoff

    waiting = handoff(tenant)
    client.force_login(superuser)
    panel = client.get("/ops/data/").json()["handoffs"]
    assert panel["error"] == "", panel
    assert panel["source"] == "apps.customer_service.selectors.handoff_queue_open"
    assert [(r["conversation_id"], r["tenant"]) for r in panel["rows"]] == [
        (str(waiting.conversation_id), "acme")
    ]
    html = client.get("/ops/").content.decode()
    assert str(waiting.conversation_id) in html  # in the embedded snapshot


@pytest.mark.django_db
def test_api_requests_are_recorded_per_vertical(tenant, make_api_client, settings):
    """The middleware times real API requests into the shared per-minute counts; pages outside
    the API are not counted. Without Redis the counts live in the process."""
    from django.utils import timezone

    from apps.operations.activity import _requests

    for redis_url in dict.fromkeys((settings.REDIS_URL, "")):
        settings.REDIS_URL = redis_url
        settings.OPERATIONS_METRICS_PREFIX = f"ops:test:{redis_url or 'memory'}:{tenant.pk}"
        api = make_api_client(tenant, Role.ADMIN)
        assert api.get("/api/v1/jobs/").status_code == 200
        assert api.get("/api/v1/risk/decisions/nope/").status_code == 404
        assert api.get("/healthz").status_code == 200
        groups = _requests(now=timezone.now(), buckets=60)
        assert groups["platform"]["requests"] == 1 and groups["platform"]["status"] == {"2xx": 1}
        assert groups["financial risk"]["status"] == {"4xx": 1}
        assert groups["financial risk"]["p50_ms"] is not None
        assert set(groups) == {"platform", "financial risk"}


def test_percentiles_come_from_bucket_bounds():
    assert recorder.percentile_ms([0] * 14, 0.5) is None
    histogram = [1, 1, 2, 0, 0, 1] + [0] * 8
    assert recorder.percentile_ms(histogram, 0.5) == 50
    assert recorder.percentile_ms(histogram, 0.95) == 500
    assert recorder.percentile_ms([0] * 13 + [3], 0.5) == 120_000  # the open last bucket
    assert recorder.group_of("/api/v1/medical/notes/") == "medical records"
    assert recorder.group_of("/ops/data/") is None


@pytest.mark.django_db
def test_empty_charts_say_why_and_what_would_fill_them(
    client, tenant, make_member, superuser, settings
):
    """Grafana's "no data yet because ...": a tenant's admin never sees latency (timings carry
    no tenant); without Redis each web process counts only its own requests; a chart with data
    has no note."""
    settings.REDIS_URL = ""
    client.force_login(superuser)
    empty = client.get("/ops/data/").json()["throughput"]["empty"]
    assert set(empty) == {
        "chart-vertical-rate",
        "chart-model-rate",
        "chart-vertical-latency",
        "chart-vertical-status",
    }
    assert "REDIS_URL" in empty["chart-vertical-rate"]
    assert "REDIS_URL" in empty["chart-vertical-latency"]
    assert "audit log" in empty["chart-model-rate"]

    recorder.record("inference API", 200, 0.1)
    audit_event_record(tenant=tenant, action="inference.chat", model_name="chat")
    empty = client.get("/ops/data/").json()["throughput"]["empty"]
    assert set(empty.values()) == {None}

    client.force_login(make_member(tenant, Role.ADMIN))
    empty = client.get("/ops/data/").json()["throughput"]["empty"]
    assert "superusers only" in empty["chart-vertical-latency"]
    assert empty["chart-vertical-rate"] is None and empty["chart-model-rate"] is None
    html = client.get("/ops/").content.decode()
    assert 'id="chart-vertical-latency-empty"' in html
