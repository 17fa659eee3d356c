"""Headless Chromium opens a credit decision's admin page and finds its SHAP waterfall (drawn by
shap, inline SVG) whole: the picture and every label in it lie inside the page's content column
and the window, at a wide and a narrow window, and its text shows the base value E[f(X)] and
the f(x) that the API returns for that decision (issue 22)."""

from __future__ import annotations

import pytest
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from apps.financial_risk.models import ModelState
from apps.financial_risk.tests.factories import tiny_applicant, tiny_model
from tests.test_browser_knowledge import browser  # noqa: F401 - the fixture

# Every box the picture draws (its text included) against the SVG's own box, the SVG (scrolled
# to) against its container and the window: seen whole at once. Tolerance: a pixel.
GEOMETRY = """
const svg = document.querySelector('svg.shap-waterfall');
svg.scrollIntoView({block: 'start'});
const box = svg.getBoundingClientRect();
const holder = svg.closest('.readonly') || svg.parentElement;
const outer = holder.getBoundingClientRect();
const width = document.documentElement.clientWidth;
const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1
                       && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
const texts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
  .filter(r => r.width > 0);
return {
  width: box.width, height: box.height, window: width,
  in_container: inside(box, outer),
  in_window: box.left >= 0 && box.right <= width + 1 && box.top >= -1
             && box.bottom <= window.innerHeight + 1,
  texts: texts.length, texts_inside: texts.every(r => inside(r, box)),
  container_clips: getComputedStyle(holder).overflow !== 'visible'
                   && holder.scrollWidth > holder.clientWidth + 1,
  text: svg.textContent,
};
"""


def _normal(text: str) -> str:
    return " ".join(text.replace("\u2212", "-").split())


@pytest.mark.django_db(transaction=True)
def test_decision_page_shows_the_whole_waterfall_with_the_apis_numbers(
    browser,  # noqa: F811
    live_server,
    tenant,
    make_member,
    make_api_client,
):
    tiny_model(tenant, state=ModelState.CHAMPION)
    analyst = make_api_client(tenant, Role.ANALYST)
    created = analyst.post(
        "/api/v1/risk/decisions/", {"applicant": tiny_applicant()}, format="json"
    )
    assert created.status_code == 201, created.content
    decision = created.json()
    explained = analyst.get(f"/api/v1/risk/decisions/{decision['id']}/").json()["explanation"]

    session = Client()
    session.force_login(make_member(tenant, Role.ANALYST))
    browser.get(f"{live_server.url}/healthz")
    browser.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )
    page = f"{live_server.url}/admin/financial_risk/decision/{decision['id']}/change/"
    for width in (1200, 760):
        browser.set_window_size(width, 900)
        browser.get(page)
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "svg.shap-waterfall text")
        )
        found = browser.execute_script(GEOMETRY)
        assert found["width"] > 300 and found["height"] > 150, found
        assert found["in_container"] and found["in_window"], found
        assert found["texts"] > 10 and found["texts_inside"], found
        assert not found["container_clips"], found
        text = _normal(found["text"])
        assert f"E[f(X)] = {explained['base_value']:.3f}" in text, text
        assert f"f(x) = {explained['fx']:.3f}" in text, text
        numbers = browser.find_element(By.CSS_SELECTOR, ".decision-explanation").text
        assert f"f(x) = {explained['fx']:.3f}" in _normal(numbers)
        assert f"= {decision['probability']:.3f}" in numbers
