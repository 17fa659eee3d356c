"""Finding 7 of the trust-boundary review (issue 17) on a risk dataset upload: moved here from
tests/test_trust_findings.py because it exercises this vertical's API."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from apps.accounts.roles import Role


@pytest.mark.django_db
def test_07_a_small_parquet_cannot_become_a_huge_dataset(tenant, make_api_client):
    from apps.financial_risk.models import Dataset

    buffer = io.BytesIO()
    pd.DataFrame({"income": [1.0] * 300_000}).to_parquet(buffer)
    assert buffer.tell() < 100_000  # tiny on the wire
    buffer.seek(0)
    buffer.name = "big.parquet"
    schema = {"columns": {"income": "numeric"}}
    response = make_api_client(tenant, Role.ANALYST).post(
        "/api/v1/risk/datasets/",
        {"name": "bomb", "schema": json.dumps(schema), "file": buffer},
        format="multipart",
    )
    assert response.status_code == 413, response.content
    assert "UPLOAD_LIMITS['max_rows']" in response.json()["errors"]["file"][0]
    assert not Dataset.objects.exists()
