"""Fixtures of the medical-records tests: clients per role, a demo note, a grant."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.accounts.roles import Role

DEMO_NOTE = (Path(__file__).resolve().parents[1] / "data" / "demo_note.txt").read_text()


@pytest.fixture
def clinician(tenant, make_api_client):
    return make_api_client(tenant, Role.CLINICIAN)


@pytest.fixture
def demo_note():
    return DEMO_NOTE
