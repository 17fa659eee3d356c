"""Datasets: upload (CSV/Parquet or rows over the API) validated against a declared schema."""

from __future__ import annotations

import pandas as pd

from apps.audit.services import audited, input_digest
from apps.financial_risk.engine.data import (
    Schema,
    read_upload,
    table_digest,
    table_from_frame,
    table_rows,
    table_to_parquet,
)
from apps.financial_risk.models import Dataset, DatasetKind


def dataset_create(
    *,
    tenant,
    name: str,
    schema: dict,
    content: bytes | None = None,
    filename: str = "",
    rows: list[dict] | None = None,
    kind: str = DatasetKind.APPLICATIONS,
) -> Dataset:
    """Validate a file (or a list of row objects) against ``schema`` and store it.

    Raises ``SchemaError`` naming the column and row of each problem; nothing is stored then.
    Stored as Parquet with the declared types, so training and scoring read typed columns.
    """
    parsed = Schema.from_dict(schema)
    if rows is not None:
        frame = pd.DataFrame.from_records(rows)
    else:
        frame = read_upload(content or b"", filename or "upload.csv")
    table = table_from_frame(
        frame, parsed, require_target=kind == DatasetKind.APPLICATIONS and bool(parsed.target)
    )
    data = table_to_parquet(table)
    with audited(
        tenant=tenant,
        action="financial_risk.dataset.create",
        resource_type="financial_risk.dataset",
    ) as event:
        dataset = Dataset.objects.create(
            tenant=tenant,
            name=name,
            kind=kind,
            schema=parsed.as_dict(),
            data=data,
            digest=table_digest(data),
            row_count=table_rows(table),
            source_filename=filename[:255],
        )
        event.resource_id = dataset.pk
        event.row_count = dataset.row_count
        event.input_digest = input_digest(tenant=tenant, data=dataset.digest)
    return dataset
