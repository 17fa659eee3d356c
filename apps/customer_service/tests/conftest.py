"""Fixtures of the customer-service tests; ``shop`` is a tenant set up like the demo (see
``factories.setup_demo_tenant``)."""

from __future__ import annotations

import pytest

from apps.customer_service.tests.factories import setup_demo_tenant
from knowledge import cache


@pytest.fixture(autouse=True)
def fresh_graph_cache():
    cache.forget()
    yield
    cache.forget()


@pytest.fixture(autouse=True)
def short_replies(settings):
    # SmolLM2 writes ~15 tokens/s on this CPU: short replies keep the suite fast.
    settings.CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS = 12


@pytest.fixture
def shop(tenant):
    """The demo tenant's active intent model (the tenant is set up around it)."""
    return setup_demo_tenant(tenant)
