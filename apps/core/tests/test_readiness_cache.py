"""/readyz's per-process cache keeps a passing result for READINESS_CACHE_SECONDS, never a
failing one: a web process must not answer 503 from memory once the platform is ready."""

from __future__ import annotations

from apps.core import health


def test_a_failure_is_checked_again_and_a_success_is_kept(settings, monkeypatch):
    settings.READINESS_CACHE_SECONDS = 60
    answers = iter([(False, {"inference_worker": {"ok": False}}), (True, {}), (False, {})])
    calls = []

    def run_checks():
        calls.append(1)
        return next(answers)

    monkeypatch.setattr(health, "run_checks", run_checks)
    monkeypatch.setattr(health, "_last_run", {})
    assert health.run_checks_cached()[0] is False  # not ready yet: not remembered
    assert health.run_checks_cached()[0] is True  # checked again at once: ready
    assert health.run_checks_cached()[0] is True  # kept for the TTL (the third answer unused)
    assert len(calls) == 2
