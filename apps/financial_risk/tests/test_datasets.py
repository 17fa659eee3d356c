"""Dataset upload: CSV and Parquet files or JSON rows, validated against the declared schema;
errors name the column and the row and nothing is stored."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from apps.financial_risk.models import Dataset
from apps.financial_risk.selectors import dataset_table

from .factories import TINY_SCHEMA, tiny_rows

pytestmark = pytest.mark.django_db
URL = "/api/v1/risk/datasets/"


def _csv(rows) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


def _upload_csv(analyst, name: str, rows: int):
    content = io.BytesIO(_csv(tiny_rows(rows)))
    content.name = "applications.csv"
    return analyst.post(
        URL,
        {"name": name, "schema": json.dumps(TINY_SCHEMA), "file": content},
        format="multipart",
    )


def test_csv_upload(tenant, analyst):
    response = _upload_csv(analyst, "apps", 50)
    assert response.status_code == 201, response.content
    dataset = Dataset.objects.get(pk=response.json()["id"])
    assert dataset.row_count == 50 and dataset.source_filename == "applications.csv"
    table = dataset_table(dataset)
    assert table["income"].dtype.kind == "f" and table["region"][0] in {
        "north",
        "south",
        "east",
        "west",
    }


def test_parquet_upload(tenant, analyst):
    buffer = io.BytesIO()
    pd.DataFrame(tiny_rows(20)).to_parquet(buffer)
    buffer.seek(0)
    buffer.name = "applications.parquet"
    response = analyst.post(
        URL, {"name": "pq", "schema": json.dumps(TINY_SCHEMA), "file": buffer}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 20


def test_errors_name_column_and_row_and_store_nothing(tenant, analyst):
    rows = tiny_rows(5)
    rows[2]["income"] = "a lot"
    content = io.BytesIO(_csv(rows))
    content.name = "bad.csv"
    response = analyst.post(
        URL, {"name": "bad", "schema": json.dumps(TINY_SCHEMA), "file": content}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"income": ["row 3: 'a lot' is not a number"]}
    response = analyst.post(
        URL, {"name": "x", "schema": {"columns": {"a": "text"}}, "rows": [{"a": 1}]}, format="json"
    )
    assert response.status_code == 400 and "schema.columns.a" in response.json()["errors"]
    response = analyst.post(
        URL, {"name": "x", "schema": "{not json", "rows": [{"a": 1}]}, format="json"
    )
    assert response.status_code == 400 and "schema" in response.json()["errors"]
    response = analyst.post(URL, {"name": "x", "schema": TINY_SCHEMA}, format="json")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    assert not Dataset.objects.filter(tenant=tenant).exists()


def test_a_file_upload_may_be_larger_than_a_json_body(tenant, analyst, settings):
    """Uploads have their own body limit (UPLOAD_MAX_BYTES): a data team's 10,000-row CSV is
    about 2.7 MB, over the 2 MiB that JSON bodies get (it was refused with 413)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert len(_csv(tiny_rows(100))) > 1000
    response = _upload_csv(analyst, "bigger", 100)
    assert response.status_code == 201, response.content
    assert response.json()["row_count"] == 100
    # A JSON body of the same size is still refused, naming the limit.
    json_body = json.dumps({"name": "x" * 2000, "schema": TINY_SCHEMA})
    refused = analyst.generic("POST", URL, json_body, "application/json")
    assert refused.status_code == 413 and "1000" in refused.json()["detail"]


def test_an_upload_over_its_own_limit_is_refused_before_it_is_read(tenant, analyst, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = _upload_csv(analyst, "too-big", 100)
    assert response.status_code == 413
    assert "over the limit of 1000 bytes" in response.json()["detail"]
    assert not Dataset.objects.filter(name="too-big").exists()
