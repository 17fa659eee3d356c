"""Fixtures of the financial-risk tests: API clients per role and a quickly trained champion."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from apps.financial_risk.models import ModelState

from .factories import german_credit_for_training, tiny_dataset, tiny_model


@pytest.fixture
def analyst(tenant, make_api_client):
    return make_api_client(tenant, Role.ANALYST)


@pytest.fixture
def dataset(tenant):
    return tiny_dataset(tenant)


@pytest.fixture
def champion(tenant, dataset):
    return tiny_model(tenant, dataset=dataset, state=ModelState.CHAMPION)


@pytest.fixture(scope="module")
def credit():
    """German credit as the trainer takes it: table, target, feature config, kinds."""
    return german_credit_for_training()
