"""Root fixtures: tenants, users per role, API clients; service markers; no skips in CI.

Tests marked ``postgres``, ``redis`` or ``worker`` need real services. They run whenever
DATABASE_URL / REDIS_URL point at them; CI sets both and ``REQUIRE_ALL_TESTS=1``, which turns any
skip into a failure of the run.
"""

from __future__ import annotations

import os

# Before anything imports huggingface_hub: tests never reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest  # noqa: E402

from apps.accounts.roles import Role  # noqa: E402


def _have_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _have_redis() -> bool:
    return bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    missing = {
        "postgres": None if _have_postgres() else "needs DATABASE_URL=postgres://…",
        "redis": None if _have_redis() else "needs REDIS_URL",
        "worker": None
        if _have_postgres() and _have_redis()
        else "needs DATABASE_URL (PostgreSQL) and REDIS_URL",
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_ALL_TESTS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(f"REQUIRE_ALL_TESTS=1 but {skipped} test(s) were skipped", red=True)
        session.exitstatus = 1


# Seconds the interpreter may take to exit once the run has ended. A thread or child process
# left blocking (an executor's worker stuck in a call, a non-daemon child) would otherwise keep
# pytest alive after its summary until CI's own limit kills it, with nothing said about why.
EXIT_GRACE_S = float(os.environ.get("PYTEST_EXIT_GRACE_S", "120"))


def pytest_unconfigure(config):
    """Arm a watchdog for the interpreter's exit: past ``EXIT_GRACE_S`` it prints every thread's
    stack and the live child processes (so the log names what held the exit), then ends the
    process with the run's own status (a green run stays green, a red one red)."""
    import faulthandler
    import logging
    import sys
    import threading
    import time

    # Threads that end with the interpreter (a decoding loop asked to stop) may still log; their
    # handlers can hold pytest's capture streams, closed by now: drop those lines quietly.
    logging.raiseExceptions = False

    session = getattr(config, "_platform_session", None)
    status = int(getattr(session, "exitstatus", 0) or 0)

    def watchdog():
        time.sleep(EXIT_GRACE_S)
        stream = sys.__stderr__
        stream.write(
            f"\npytest: still running {EXIT_GRACE_S:.0f} s after the run ended; threads:\n"
        )
        for thread in threading.enumerate():
            stream.write(f"  {thread.name} daemon={thread.daemon}\n")
        try:
            import multiprocessing

            stream.write(f"  child processes: {multiprocessing.active_children()}\n")
        except Exception as exc:  # a report, never a second failure
            stream.write(f"  child processes: unknown ({exc})\n")
        stream.flush()
        faulthandler.dump_traceback(file=stream, all_threads=True)
        stream.flush()
        os._exit(status)

    threading.Thread(target=watchdog, name="pytest-exit-watchdog", daemon=True).start()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    session.config._platform_session = session


# ---------------------------------------------------------------------------- tenants and users


@pytest.fixture
def tenant(db):
    from apps.accounts.tests.factories import TenantFactory

    return TenantFactory(name="Acme Health", slug="acme")


@pytest.fixture
def other_tenant(db):
    from apps.accounts.tests.factories import TenantFactory

    return TenantFactory(name="Globex Bank", slug="globex")


@pytest.fixture
def make_member(db):
    """make_member(tenant, role) -> a staff user holding ``role`` in ``tenant``."""
    from apps.accounts.tests.factories import MembershipFactory

    def make(tenant, role=Role.ADMIN, **user_fields):
        return MembershipFactory(tenant=tenant, role=role, user__is_staff=True, **user_fields).user

    return make


@pytest.fixture
def rate_limit_clock_stopped(monkeypatch):
    """The per-key rate limit's clock stopped half-way through a minute: a test that counts
    requests against "3/min" must not straddle two minute windows, where the sliding-window
    estimate lets one more request through (apps.accounts.throttling)."""
    import time

    from apps.accounts.throttling import CredentialRateThrottle

    stopped = (int(time.time()) // 60) * 60 + 30.0
    monkeypatch.setattr(CredentialRateThrottle, "timer", lambda self: stopped)
    return stopped


@pytest.fixture
def make_api_client(db):
    """make_api_client(tenant, role) -> a DRF APIClient authenticated with a fresh API key."""
    from rest_framework.test import APIClient

    from apps.accounts.services import api_key_create

    def make(tenant, role=Role.ADMIN, **key_fields):
        created = api_key_create(tenant=tenant, name=f"{role} key", role=role, **key_fields)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created.token}")
        client.api_key = created.api_key
        client.token = created.token
        return client

    return make


@pytest.fixture
def signed_in():
    """``signed_in(user, tenant)``: a session client of a member acting for ``tenant`` (a person,
    as four-eyes approvals need, unlike a bare API key)."""
    from rest_framework.test import APIClient

    def make(user, tenant) -> APIClient:
        client = APIClient()
        client.force_login(user)
        client.credentials(HTTP_X_TENANT=tenant.slug)
        return client

    return make


@pytest.fixture
def four_eyes(tenant):
    """``tenant`` with four eyes on registry promotions (``Tenant.four_eyes_promotions``)."""
    tenant.four_eyes_promotions = True
    tenant.save(update_fields=["four_eyes_promotions"])
    return tenant


@pytest.fixture
def admin_client_for(tenant, make_api_client):
    return make_api_client(tenant, Role.ADMIN)


@pytest.fixture
def stub_models(monkeypatch):
    """The models answer through the OpenAI-compatible stub (a real local HTTP server,
    models_runtime.testing), for tests about the API around a model call rather than the model
    (the fuzzer, the audit walk), which SmolLM2's generation on a CPU would take minutes to
    answer. The models have their own tests with the real weights."""
    from models_runtime import runtime as runtime_module
    from models_runtime.runtime import InferenceRuntime
    from models_runtime.testing import OpenAIStubServer

    with OpenAIStubServer(slow_seconds=0) as stub:
        remote = {"backend": "openai", "base_url": stub.base_url, "api_model": "stub"}
        monkeypatch.setattr(
            runtime_module,
            "_default",
            InferenceRuntime.from_settings(
                {
                    "models": {
                        "chat": {"task": "chat", **remote},
                        "embed": {"task": "embed", **remote},
                    },
                    "include_defaults": True,
                }
            ),
        )
        yield stub


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the per-address budgets and the denial counters
    (apps.accounts.authentication, apps.audit.services.denials) live there, per minute."""
    from django.core.cache import cache

    cache.clear()
    yield
