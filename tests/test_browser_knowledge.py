"""Headless Chromium (Debian's chromium + chromium-driver, driven by Selenium) opens the
knowledge neighbourhood page and checks that cytoscape drew nodes and edges on its canvas,
and that clicking a node expands it through the REST API with the session's credentials."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from knowledge import services
from tests.browser_support import headless_chromium


@pytest.fixture
def browser():
    with headless_chromium() as driver:
        yield driver


@pytest.mark.django_db(transaction=True)
def test_neighbourhood_drawing_has_nodes_and_edges(browser, live_server, tenant, make_member):
    graph, _ = services.seed_graph_ensure(tenant=tenant, seed="customer_service")
    user = make_member(tenant, Role.AGENT)
    from django.test import Client

    session = Client()
    session.force_login(user)
    cookie = session.cookies["sessionid"]

    browser.get(f"{live_server.url}/healthz")  # a page of the site, to set its cookie on
    browser.add_cookie({"name": "sessionid", "value": cookie.value, "path": "/"})
    browser.get(
        f"{live_server.url}/knowledge/graphs/{graph.public_id}/neighbourhood/?node=product:pathfinder-gps"
    )
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.execute_script("return !!window.kgCy && window.kgCy.nodes().length > 0"))
    counts = browser.execute_script(
        "return [window.kgCy.nodes().length, window.kgCy.edges().length]"
    )
    assert counts[0] >= 4 and counts[1] >= 3, counts
    # Drawn, not only held: the canvas has a size, the nodes have on-screen boxes inside it,
    # and the canvas has non-blank pixels.
    canvas = browser.find_element(By.CSS_SELECTOR, "#kg-canvas canvas")
    assert canvas.size["width"] > 300 and canvas.size["height"] > 300
    inside = browser.execute_script(
        """const cy = window.kgCy, w = cy.width(), h = cy.height();
           return cy.nodes().every(n => { const b = n.renderedBoundingBox();
             return b.w > 0 && b.h > 0 && b.x2 > 0 && b.y2 > 0 && b.x1 < w && b.y1 < h; });"""
    )
    assert inside
    # Cytoscape paints on its own animation frame, after the nodes exist; under a loaded
    # machine that frame can come late, so wait for the first non-blank pixel (not for ever).
    wait.until(
        lambda d: d.execute_script(
            """const c = document.querySelectorAll('#kg-canvas canvas');
               for (const canvas of c) {
                 const ctx = canvas.getContext('2d');
                 if (!ctx || !canvas.width) continue;
                 const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
                 for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
               }
               return false;"""
        ),
        message="the knowledge canvas stayed blank for 30 s",
    )
    assert "nodes" in browser.find_element(By.ID, "kg-counts").text

    # Clicking the category node fetches its neighbours over the API (session + X-Tenant).
    before = counts[0]
    browser.execute_script("window.kgCy.getElementById('cat:electronics').emit('tap')")
    wait.until(lambda d: d.execute_script("return window.kgCy.nodes().length") > before)
    assert "within one hop" in browser.find_element(By.ID, "kg-details").text
