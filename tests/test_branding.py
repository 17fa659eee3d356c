"""The admin carries the platform's name, logo and favicon (not "Django administration"), every
page can find its favicon, and the knowledge neighbourhood page is drawn in the admin's frame
like the operator console."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from apps.accounts.roles import Role
from knowledge.tests.factories import small_graph

pytestmark = pytest.mark.django_db
ICONS = ("platform/favicon.svg", "platform/favicon.png", "platform/logo.svg", "platform/admin.css")


def test_the_platform_files_are_found_by_staticfiles():
    for name in (*ICONS, "platform/favicon.ico"):
        assert finders.find(name), name


@pytest.mark.parametrize("path", ["/admin/login/", "/admin/"])
def test_admin_pages_carry_the_platform_name_logo_and_favicon(admin_client, client, path):
    html = (admin_client if path == "/admin/" else client).get(path, follow=True).content.decode()
    assert "Django administration" not in html and "Django site admin" not in html
    assert "<title>" in html and settings.PLATFORM_NAME in html
    assert f"{settings.PLATFORM_NAME}</a></div>" in html  # the header, beside the logo
    assert 'rel="icon" href="/static/platform/favicon.svg"' in html
    assert 'src="/static/platform/logo.svg"' in html
    assert "/static/platform/admin.css" in html


def test_favicon_ico_leads_to_the_platform_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/platform/favicon.ico"


def test_the_console_is_branded_too(admin_client):
    html = admin_client.get("/ops/").content.decode()
    assert settings.PLATFORM_NAME in html and "/static/platform/favicon.svg" in html


def test_the_neighbourhood_page_is_drawn_in_the_admin_frame(client, make_member, tenant):
    graph = small_graph(tenant)
    client.force_login(make_member(tenant, Role.AGENT))
    html = client.get(
        f"/knowledge/graphs/{graph.public_id}/neighbourhood/", {"node": "b"}
    ).content.decode()
    assert 'id="site-name"' in html and settings.PLATFORM_NAME in html
    assert "/static/admin/css/base.css" in html and "/static/knowledge/neighbourhood.css" in html
    assert '<div class="breadcrumbs">' in html and "Neighbourhood" in html
    assert f"<title>Neighbourhood of b | {settings.PLATFORM_NAME}</title>" in html


def test_no_view_site_link_and_the_root_leads_to_the_admin(admin_client, client):
    """The admin's "View site" pointed at "/", which answered 404 (found by the browser suite)."""
    assert "View site" not in admin_client.get("/admin/").content.decode()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_periodic_task_form_runs_no_inline_script(admin_client):
    """django-celery-beat's form shipped an inline script that the content security policy
    refused (found by the browser suite); ours loads it from a static file."""
    html = admin_client.get("/admin/django_celery_beat/periodictask/add/").content.decode()
    assert '<script id="periodic-task-overrides" src="/static/platform/periodictask.js">' in html
    assert "const readableCrontabs" not in html
    assert finders.find("platform/periodictask.js")
