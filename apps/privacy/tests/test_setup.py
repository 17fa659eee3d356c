"""Offline operation, import cost and the Django app config."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def _run_isolated(code: str, cache_dir: Path) -> subprocess.CompletedProcess:
    # An empty cache directory: tldextract would otherwise find a suffix list cached by an
    # earlier run and skip the download this test is about.
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "XDG_CACHE_HOME": str(cache_dir),
        "TLDEXTRACT_CACHE": str(cache_dir / "tldextract"),
    }
    env.pop("PRESIDIO_DEVICE", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_analysis_never_touches_the_network(tmp_path):
    # A fresh interpreter, so nothing was loaded (or downloaded) before the guard is in place.
    result = _run_isolated(
        """
        import socket

        attempts = []

        def refuse(*args, **kwargs):
            attempts.append(args[:1])
            raise OSError("network access attempted")

        socket.getaddrinfo = refuse
        socket.create_connection = refuse
        socket.socket.connect = refuse

        from apps.privacy import mask_pii

        text = "Jane Doe, jane@example.org, +44 20 7946 0958, 4111 1111 1111 1111, 10.0.0.1"
        masked = mask_pii(text)
        print(masked)
        assert attempts == [], attempts
        assert masked == (
            "<PERSON>, <EMAIL_ADDRESS>, <PHONE_NUMBER>, <CREDIT_CARD>, <IP_ADDRESS>"
        ), masked
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_logging_plain_lines_never_imports_presidio(tmp_path):
    # LOGGING is configured before apps are ready, in every process, and most log lines hold
    # nothing personal: neither may cost the seconds that importing Presidio/spaCy/PyTorch takes.
    result = _run_isolated(
        """
        import logging
        import os
        import sys

        import apps.privacy
        from apps.privacy.logging import JsonLogFormatter, PiiMaskingFilter

        record = logging.LogRecord("x", logging.INFO, "f", 1, "Loaded %d rows", (3,), None)
        assert PiiMaskingFilter().filter(record)
        JsonLogFormatter().format(record)
        heavy = [m for m in ("presidio_analyzer", "spacy", "torch", "django.db.models")
                 if m in sys.modules]
        assert heavy == [], heavy
        assert os.environ["PRESIDIO_DEVICE"] == "cpu"
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_app_config_routes_loguru_on_ready(monkeypatch):
    import apps.privacy
    from apps.privacy import logging as privacy_logging
    from apps.privacy.apps import PrivacyConfig

    calls = []
    monkeypatch.setattr(privacy_logging, "route_loguru_to_logging", lambda: calls.append(1))
    config = PrivacyConfig("apps.privacy", apps.privacy)
    config.ready()
    assert (config.name, config.label) == ("apps.privacy", "privacy")
    assert calls == [1]


def test_package_exports_the_public_api_lazily():
    import apps.privacy
    from apps.privacy import engine, masking

    assert apps.privacy.mask_pii is masking.mask_pii
    assert apps.privacy.detect_pii is masking.detect_pii
    assert apps.privacy.build_analyzer is engine.build_analyzer
    assert apps.privacy.get_analyzer is engine.get_analyzer
    assert set(apps.privacy.__all__) == {
        "Finding",
        "build_analyzer",
        "detect_pii",
        "get_analyzer",
        "mask_pii",
    }
