"""Datasets: upload (CSV/Parquet or rows over the API) validated against a declared schema."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.parquet as pq

from apps.audit.services import audited, input_digest
from apps.core.upload_guard import (
    UploadLimitExceeded,
    check_cell,
    check_count,
    check_decompressed,
    upload_limit,
)
from apps.financial_risk.engine.data import (
    Schema,
    SchemaError,
    table_digest,
    table_from_frame,
    table_rows,
    table_to_parquet,
)
from apps.financial_risk.models import Dataset, DatasetKind


def _cells_checked(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell within the upload guard's ``max_cell_chars``."""
    for column in frame.columns:
        if frame[column].dtype == object:
            lengths = frame[column].map(lambda v: len(v) if isinstance(v, str) else 0)
            if len(lengths) and lengths.max() > 0:
                row = int(lengths.to_numpy().argmax())
                check_cell(frame[column].iloc[row], field="file", where=f"in column {column}")
    return frame


def read_upload(content: bytes, filename: str) -> pd.DataFrame:
    """A CSV or Parquet file (by extension; CSV otherwise) as a frame of strings/numbers.

    The upload guard's row and column caps apply before the frame is built: a small Parquet
    file can declare millions of rows, so its metadata is checked first."""
    try:
        if filename.lower().endswith((".parquet", ".pq")):
            meta = pq.ParquetFile(io.BytesIO(content)).metadata
            check_count("max_rows", meta.num_rows, field="file")
            check_count("max_columns", meta.num_columns, field="file")
            inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            check_decompressed(inflated, field="file")
            return _cells_checked(pd.read_parquet(io.BytesIO(content)))
        frame = pd.read_csv(
            io.BytesIO(content),
            dtype=str,
            keep_default_na=False,
            nrows=upload_limit("max_rows") + 1,
        )
        check_count("max_rows", len(frame), field="file")
        check_count("max_columns", len(frame.columns), field="file")
        return _cells_checked(frame)
    except UploadLimitExceeded:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error is the file's fault
        raise SchemaError(
            {"file": [f"Cannot read {filename!r}: {type(exc).__name__}: {exc}"]}
        ) from exc


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
