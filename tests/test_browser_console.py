"""Headless Chromium (Debian's chromium + chromium-driver, driven by Selenium) opens the
operator console as a superuser and checks that Chart.js drew all four charts with the data
of the last hour, that the tables were filled, and that the page ran no inline script (the
console's script is a static file). Screenshots are saved under
``var/screenshots/<UTC time of the run>/`` (or ``$SCREENSHOT_DIR``) and kept after the run."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.audit.services import audit_event_record
from apps.jobs.models import Job, JobState
from apps.operations import recorder
from tests.test_browser_knowledge import browser  # noqa: F401  (the shared Chromium fixture)

ROOT = Path(__file__).resolve().parents[1]
CHARTS = (
    "chart-vertical-rate",
    "chart-model-rate",
    "chart-vertical-latency",
    "chart-vertical-status",
)


def screenshot_dir() -> Path:
    folder = Path(
        os.environ.get("SCREENSHOT_DIR")
        or ROOT / "var" / "screenshots" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.django_db(transaction=True)
def test_console_draws_its_charts(browser, live_server, tenant, settings):  # noqa: F811
    from django.test import Client

    from apps.accounts.tests.factories import UserFactory

    settings.OPERATIONS_METRICS_PREFIX = f"ops:test:browser:{tenant.pk}"
    for ms in (15, 25, 35, 120):
        recorder.record("financial risk", 201, ms / 1000)
    recorder.record("inference API", 200, 0.8)
    recorder.record("inference API", 504, 1.4)
    recorder.record("knowledge", 200, 0.06)
    for model in ("chat", "chat", "embed"):
        audit_event_record(tenant=tenant, action="inference.chat", model_name=model)
    Job.objects.create(
        tenant=tenant,
        kind="financial_risk.batch.score",
        task_name="x",
        state=JobState.RUNNING,
        progress_done=40,
        progress_total=100,
        progress_message="scoring",
    )

    operator = UserFactory(is_staff=True, is_superuser=True)
    session = Client()
    session.force_login(operator)
    browser.get(f"{live_server.url}/healthz")
    browser.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )
    browser.get(f"{live_server.url}/ops/")

    wait = WebDriverWait(browser, 30)
    wait.until(
        lambda d: d.execute_script(
            "return !!window.opsCharts && Object.keys(window.opsCharts).length === 4"
        )
    )
    # Each chart holds the data of the snapshot...
    data = browser.execute_script(
        """return Object.fromEntries(Object.entries(window.opsCharts).map(([id, c]) =>
             [id, c.data.datasets.map(ds =>
               [ds.label, ds.data.reduce((a, b) => a + (b || 0), 0)])]));"""
    )
    assert dict(data["chart-vertical-rate"]) == {
        "financial risk": 4,
        "inference API": 2,
        "knowledge": 1,
    }
    assert dict(data["chart-model-rate"]) == {"chat": 2, "embed": 1}
    assert dict(data["chart-vertical-latency"])["p95"] == 250 + 2500 + 100  # bucket bounds
    assert dict(data["chart-vertical-status"]) == {"2xx": 6, "5xx": 1}
    # ...and is drawn: a canvas with a size and non-blank pixels.
    for chart_id in CHARTS:
        canvas = browser.find_element(By.ID, chart_id)
        assert canvas.size["width"] > 200 and canvas.size["height"] > 150, chart_id
        painted = browser.execute_script(
            """const c = document.getElementById(arguments[0]), ctx = c.getContext('2d');
               const px = ctx.getImageData(0, 0, c.width, c.height).data;
               let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
               return n;""",
            chart_id,
        )
        assert painted > 500, (chart_id, painted)
        # Every dataset has an element drawn above the zero line: a value, not only axes.
        raised = browser.execute_script(
            """const c = window.opsCharts[arguments[0]], bottom = c.chartArea.bottom;
               return c.data.datasets.map((ds, i) =>
                 c.getDatasetMeta(i).data.some(el => el.y < bottom - 5));""",
            chart_id,
        )
        assert raised and all(raised), (chart_id, raised)
    jobs = browser.find_element(By.ID, "ops-jobs").text
    assert "financial_risk.batch.score" in jobs and "40/100" in jobs
    audit = browser.find_element(By.ID, "ops-audit").text
    assert "never" in audit and "none yet" in audit  # no verification or checkpoint yet
    # The snapshot came from the page itself (json_script), no inline code was needed.
    inline = browser.execute_script(
        """return [...document.scripts]
             .filter(s => !s.src && s.type !== 'application/json').length"""
    )
    assert inline == 0

    folder = screenshot_dir()
    browser.set_window_size(1400, 2400)
    browser.save_screenshot(str(folder / "ops-console.png"))
    browser.find_element(By.ID, "chart-vertical-rate").screenshot(
        str(folder / "ops-chart-vertical-rate.png")
    )
    assert (folder / "ops-console.png").stat().st_size > 10_000
