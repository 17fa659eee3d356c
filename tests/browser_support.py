"""Headless Chromium for the browser tests (Debian's chromium + chromium-driver, through
Selenium): one launcher, so every test starts the browser the same way."""

from __future__ import annotations

import contextlib
import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@contextlib.contextmanager
def headless_chromium(*, window: str = "1200,900", logging_prefs: dict | None = None):
    """A driver on a throw-away profile, quit and its profile removed afterwards.
    ``logging_prefs``: Chromium's logs to keep (``{"browser": "ALL"}`` for the console)."""
    profile = tempfile.mkdtemp(prefix="test-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={window}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    if logging_prefs:
        options.set_capability("goog:loggingPrefs", logging_prefs)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
