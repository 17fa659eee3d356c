"""Every page a user reaches from the admin index, the operator console and the customer-service
chat page opens in headless Chromium with no console error, no failed request and no 5xx.

A crawler starts at those three pages (a superuser for the admin and the console, an agent of the
tenant for the chat page), follows the links on each page two steps deep (index → changelist or
add form → an object's page or a custom view), one object per model, and reads Chromium's own
logs: the browser console (errors) and the network (every response's status, every failed
request). One row of every tenant-owned model exists (the tenant-isolation factories), so change
forms and the verticals' custom admin views are reached. A screenshot of every page is saved
under ``test-artifacts/browser/`` (or ``$BROWSER_ARTIFACTS``), which CI keeps for review.
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from tests.browser_support import headless_chromium
from tests.isolation_registry import make_row

ROOT = Path(__file__).resolve().parents[1]
MAX_DEPTH = 2
# Not pages: the API (JSON, reached by the pages' scripts and checked there), files, streams,
# downloads, and leaving the admin.
SKIP = re.compile(
    r"^/(api|static|media)/|/stream/|/logout/|\.(csv|png|svg|zip|json|jsonl|hl7|xml)$"
    r"|/(export|download|subgraph-png|waterfall|picture)/"
)
# One object's pages per model: /admin/<app>/<model>/<id>/... keeps the first id it meets.
OBJECT_PAGE = re.compile(r"^/admin/(?P<model>[^/]+/[^/]+)/(?P<id>[^/]+)/(?P<rest>.*)$")
NOT_OBJECTS = {"add", "import", "upload"}


def artifacts() -> Path:
    folder = Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / "test-artifacts" / "browser")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def chromium():
    # The browser console and the network events (Chromium's DevTools log) of every page.
    logs = {"browser": "ALL", "performance": "ALL"}
    with headless_chromium(window="1280,900", logging_prefs=logs) as driver:
        yield driver


def problems_of(driver) -> list[str]:
    """Console errors, failed requests and error statuses since the last call."""
    found = [
        f"console: {entry['message'][:300]}"
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
    ]
    urls = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.responseReceived":
            status, url = params["response"]["status"], params["response"]["url"]
            if status >= 400:
                found.append(f"{status}: {url}")
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            url = urls.get(params["requestId"], params.get("type"))
            found.append(f"failed ({params.get('errorText')}): {url}")
    return found


def links_of(driver, origin: str) -> list[str]:
    hrefs = driver.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
    )
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == origin and not SKIP.search(parts.path):
            paths.append(parts.path)
    return paths


def seed(tenant) -> None:
    """One row of each tenant-owned model registered in the admin (where the isolation tests
    know how to make one)."""
    for model in admin.site._registry:
        try:
            with transaction.atomic():
                make_row(model, tenant)
        except AssertionError:  # not tenant-owned (users, groups, schedules, lockouts)
            continue
        except Exception:  # noqa: BLE001  a factory meant for a fresh tenant, whose rows exist:
            continue  # e.g. a second risk model that a promotion gate refuses


def crawl(driver, origin: str, starts: list[str], shots: Path, prefix: str) -> dict:
    """Visit every page reachable from ``starts`` within MAX_DEPTH links; {path: problems}."""
    queue = deque((path, 0) for path in starts)
    seen, objects, report = set(starts), {}, {}
    problems_of(driver)  # what came before (logging in)
    while queue:
        path, depth = queue.popleft()
        driver.get(origin + path)
        report[path] = problems_of(driver)
        name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root"
        driver.save_screenshot(str(shots / f"{prefix}-{name}.png"))
        if depth >= MAX_DEPTH:
            continue
        for link in links_of(driver, origin):
            match = OBJECT_PAGE.match(link)
            if match and match["id"] not in NOT_OBJECTS:
                first = objects.setdefault(match["model"], match["id"])
                if match["id"] != first:
                    continue
            if link not in seen:
                seen.add(link)
                queue.append((link, depth + 1))
    return report


def sign_in(driver, origin: str, user) -> None:
    session = Client()
    session.force_login(user)
    driver.get(f"{origin}/healthz")  # a page of the site, to set its cookie on
    driver.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )


@pytest.mark.django_db(transaction=True)
def test_every_linked_page_opens_without_errors(chromium, live_server, tenant, make_member):
    from apps.accounts.tests.factories import UserFactory

    seed(tenant)
    shots = artifacts()
    origin = live_server.url

    superuser = UserFactory(is_staff=True, is_superuser=True)
    sign_in(chromium, origin, superuser)
    report = crawl(chromium, origin, ["/admin/", "/ops/"], shots, "superuser")
    sign_in(chromium, origin, make_member(tenant, Role.AGENT))
    report |= crawl(chromium, origin, ["/customer-service/chat/"], shots, "agent")

    admin_pages = [p for p in report if p.startswith("/admin/")]
    assert len(admin_pages) > 2 * len(admin.site._registry), sorted(report)  # lists and forms
    assert "/ops/alerts/" in report and "/customer-service/chat/" in report
    assert len(list(shots.glob("*.png"))) >= len(report)
    failures = {path: found for path, found in report.items() if found}
    assert failures == {}, json.dumps(failures, indent=1)[:6000]


@pytest.mark.django_db(transaction=True)
def test_a_small_neighbourhood_is_drawn_whole_at_a_readable_scale(chromium, live_server, tenant):
    """Fitting a two-node graph to the canvas zoomed it so far that the centre node ran off the
    canvas's edge (seen in this suite's screenshot); the zoom is capped."""
    from apps.accounts.tests.factories import UserFactory
    from tests.isolation_registry import FACTORIES

    graph = FACTORIES["knowledge.graph"](tenant)  # two nodes and an edge
    sign_in(chromium, live_server.url, UserFactory(is_staff=True, is_superuser=True))
    problems_of(chromium)  # what came before (signing in)
    chromium.get(f"{live_server.url}/admin/knowledge/graph/{graph.pk}/neighbourhood/?node=n1")
    WebDriverWait(chromium, 30).until(
        lambda d: d.execute_script("return !!window.kgCy && window.kgCy.nodes().length > 1")
    )
    zoom, whole = chromium.execute_script(
        """const cy = window.kgCy, w = cy.width(), h = cy.height();
           return [cy.zoom(), cy.nodes().every(n => { const b = n.renderedBoundingBox();
             return b.x1 >= 0 && b.y1 >= 0 && b.x2 <= w && b.y2 <= h; })];"""
    )
    chromium.save_screenshot(str(artifacts() / "small-neighbourhood.png"))
    assert zoom <= 2 and whole, zoom
    # The canvas fits the page: no sideways scrolling. Cytoscape follows its box's size through
    # a ResizeObserver, a frame late: in CI the check once ran inside that frame, with the
    # canvas still 237 px wider than its box and the page scrolling sideways. The box clips
    # its canvas, so a stale width never reaches the page; checked with a canvas made wider.
    WebDriverWait(chromium, 10).until(
        lambda d: d.execute_script(
            "return window.kgCy.width() === document.getElementById('kg-canvas').clientWidth"
        )
    )
    overflow, stale_overflow = chromium.execute_script(
        """const page = document.documentElement, before = page.scrollWidth - page.clientWidth;
           const layer = document.querySelector('#kg-canvas > div');
           layer.style.width = (layer.offsetWidth + 400) + 'px';
           return [before, page.scrollWidth - page.clientWidth];"""
    )
    assert overflow <= 0 and stale_overflow <= 0, (overflow, stale_overflow)
    assert problems_of(chromium) == []
