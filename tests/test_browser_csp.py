"""Headless Chromium opens the pages people use — the admin, Swagger UI, Redoc and the knowledge
drawing — under the content security policy, and finds each page drawn and no script, style,
image or worker blocked, except what Redoc fetches from the internet (the Google Fonts stylesheet
its template links, its "powered by" logo): blocking those is the point, nothing is loaded from a
CDN, and the page works without them."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from knowledge import services
from tests.test_browser_knowledge import browser  # noqa: F401 - the fixture

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
ALLOWED_BLOCKS = ("https://fonts.googleapis.com", "https://cdn.redoc.ly")


def _violations(driver) -> list[str]:
    found = driver.execute_script("return window.__cspViolations || []")
    return [v for v in found if not v.split(" ", 1)[-1].startswith(ALLOWED_BLOCKS)]


@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_content_security_policy(
    browser,  # noqa: F811
    live_server,
    tenant,
    make_member,
):
    from django.test import Client

    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="customer_service")
    session = Client()
    session.force_login(make_member(tenant, Role.ADMIN))
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    browser.get(f"{live_server.url}/healthz")
    browser.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )
    pages = {
        "/admin/": "return !!document.querySelector('#content-main')",
        "/api/docs/": "return document.querySelectorAll('.swagger-ui .opblock').length > 10",
        "/api/redoc/": "return document.querySelectorAll('[data-section-id]').length > 10",
        f"/knowledge/graphs/{graph.public_id}/neighbourhood/?node=product:pathfinder-gps": (
            "return !!window.kgCy && window.kgCy.nodes().length > 0"
        ),
    }
    for path, drawn in pages.items():
        browser.get(live_server.url + path)
        WebDriverWait(browser, 60).until(lambda d, drawn=drawn: d.execute_script(drawn))
        assert _violations(browser) == [], path
