"""Transactions uploaded as a CSV file (``POST transaction-imports/``) and stored by a job.

On arrival, in the request: the platform's upload guard (``UploadField``: size, kind, content;
``apps.core.upload_guard``: columns, rows, cell lengths), the header (the API's field names,
required ones present, nothing unknown), and every card number replaced by its token exactly
as on the API path (``card_token``). What is staged for the job (``TransactionImport.data``)
holds tokens, never a clear number; a row whose cells do not line up with the header is not
staged at all (a card number could sit in another column), only reported. It is staged as JSON
lines (one list of cells per line), not CSV: no spreadsheet ever reads it, and the cells must
reach the job exactly as uploaded (``apps.core.csv_safe`` would prefix formula-like text).

The job validates each row with the API's own rules (``TransactionCsvRowSerializer``),
reporting progress. A file with any bad row is rejected whole: its errors name the row (the
file's line, the header being line 1) and the field, and nothing is stored. A good file is
stored in one transaction through ``transactions_ingest`` (one statement, one audit event
naming the import), together with the import's new state, so a retried job cannot store it
twice.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audited, input_digest
from apps.core.upload_guard import check_cell, check_count, upload_limit
from apps.financial_risk.api.fraud_serializers import TransactionCsvRowSerializer
from apps.financial_risk.engine.data import SchemaError
from apps.financial_risk.models import TransactionImport, TransactionImportState
from apps.jobs.services import job_create

from .fraud_transactions import (
    CARD_NUMBER_PROBLEM,
    CARD_NUMBER_REFUSED,
    card_number_digits,
    card_token,
    transactions_ingest,
)

IMPORT_JOB_KIND = "financial_risk.transactions_import"
IMPORT_TASK_NAME = "apps.financial_risk.tasks.fraud_transactions_import_task"
REQUIRED = ("account", "amount", "currency", "occurred_at", "merchant_category", "channel",
            "country")  # fmt: skip
OPTIONAL = ("device_id", "ip_address", "card_number", "reference", "is_fraud")
MAX_ERRORS = 1000  # kept on the import; error_count counts them all
CHUNK_ROWS = 5000  # validated per serializer call, progress reported after each


def _file_error(message: str) -> SchemaError:
    return SchemaError({"file": [message]})


def _header(cells: list[str]) -> list[str]:
    header = [c.strip() for c in cells]
    check_count("max_columns", len(header), field="file")
    known = set(REQUIRED) | set(OPTIONAL)
    problems = []
    unknown = [c for c in header if c not in known]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(sorted(set(unknown)))}")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if len(set(header)) != len(header):
        problems.append("a column appears twice")
    if problems:
        raise _file_error(
            f"Header: {'; '.join(problems)}. Columns: {', '.join(REQUIRED)} (required), "
            f"{', '.join(OPTIONAL)} (optional)."
        )
    return header


def stage_csv(content: bytes) -> tuple[bytes, int, list[dict]]:
    """Check a CSV file and tokenise its card numbers: ``(staged gzip JSON lines, rows,
    errors)``.

    Each staged line is a JSON list: the first line the header, with ``card`` (tokens) instead
    of ``card_number``; then one per row, its line in the upload first, then its cells.
    Raises ``SchemaError`` (``file``) or ``UploadLimitExceeded`` for a file that cannot be
    used at all."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(f"Not UTF-8 text (byte {exc.start}).") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    max_rows, max_cell = upload_limit("max_rows"), upload_limit("max_cell_chars")
    out = io.StringIO()

    def stage(cells: list) -> None:
        out.write(json.dumps(cells, ensure_ascii=False) + "\n")

    errors: list[dict] = []
    rows = 0
    try:
        first = next(reader, None)
        if not first or not any(c.strip() for c in first):
            raise _file_error("Empty: a header row naming the columns is needed.")
        header = _header(first)
        card_at = header.index("card_number") if "card_number" in header else None
        staged_header = ["card" if c == "card_number" else c for c in header]
        stage(["_row", *staged_header])
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines
            rows += 1
            if rows > max_rows:
                check_count("max_rows", rows, field="file")
            line = reader.line_num
            for cell in cells:
                if len(cell) > max_cell:  # check_cell's message, without its per-cell lookup
                    check_cell(cell, field="file", where=f"on line {line}")
            if len(cells) != len(header):
                errors.append({"row": line, "field": "file", "message":
                               f"{len(cells)} cells; the header has {len(header)}."})  # fmt: skip
                continue
            if card_at is not None:
                digits = card_number_digits(cells[card_at])
                cells[card_at] = (
                    CARD_NUMBER_REFUSED if digits is None else card_token(digits) if digits else ""
                )
            stage([line, *cells])
    except csv.Error as exc:
        raise _file_error(f"Not readable as CSV near line {reader.line_num}: {exc}.") from exc
    if rows == 0:
        raise _file_error("No transactions: only a header.")
    return gzip.compress(out.getvalue().encode(), compresslevel=3), rows, errors


def transaction_import_start(*, tenant, content: bytes, filename: str) -> TransactionImport:
    """Stage an uploaded CSV file (cards tokenised) and queue the job that stores it."""
    staged, rows, errors = stage_csv(content)
    with (
        audited(
            tenant=tenant,
            action="financial_risk.transactions.import.start",
            resource_type="financial_risk.transactionimport",
        ) as event,
        transaction.atomic(),
    ):
        imported = TransactionImport.objects.create(
            tenant=tenant, filename=filename[:255], data=staged, row_count=rows,
            errors=errors[:MAX_ERRORS], error_count=len(errors),
        )  # fmt: skip
        imported.job = job_create(
            tenant=tenant, kind=IMPORT_JOB_KIND, task_name=IMPORT_TASK_NAME,
            params={"import_id": str(imported.pk)},
        )  # fmt: skip
        imported.save(update_fields=["job"])
        event.resource_id = imported.pk
        event.row_count = rows
        event.input_digest = input_digest(tenant=tenant, data=hashlib.sha256(staged).hexdigest())
        event.details = {"filename": imported.filename, "rows_refused_on_arrival": len(errors)}
    return imported


def _row_values(header: list[str], cells: list[str]) -> dict:
    """A staged row as the serializer's input: optional cells left empty take the defaults."""
    row = {}
    for name, cell in zip(header, cells, strict=True):
        if cell == "" and name not in REQUIRED:
            continue
        row[name] = cell
    return row


def _validate(header, rows, progress) -> tuple[list[dict], list[dict]]:
    valid, errors = [], []
    total = len(rows)
    for start in range(0, total, CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        body = TransactionCsvRowSerializer(
            data=[_row_values(header, cells[1:]) for cells in chunk], many=True
        )
        if body.is_valid():
            valid.extend(body.validated_data)
        else:
            found = body.errors  # {index: problems} (or a list with {} for good rows)
            pairs = found.items() if isinstance(found, dict) else enumerate(found)
            for index, problems in pairs:
                cells = chunk[int(index)]
                for field, messages in (problems or {}).items():
                    message = str(messages[0])
                    if field == "card":  # staged as a token: the client's column is card_number
                        field, message = "card_number", CARD_NUMBER_PROBLEM
                    errors.append({"row": int(cells[0]), "field": field, "message": message})
        progress(min(start + CHUNK_ROWS, total), total, "validating rows")
    return valid, errors


def _finish(imported: TransactionImport, **fields) -> None:
    fields.update(data=b"", finished_at=timezone.now())
    TransactionImport.objects.filter(pk=imported.pk).update(**fields)


def transaction_import_run(*, imported: TransactionImport, progress) -> dict:
    """Validate every staged row; store them all, or (any row bad) none, with the errors."""
    result_url = f"/api/v1/risk/transaction-imports/{imported.pk}/"
    if imported.state != TransactionImportState.PENDING:  # a redelivered job: already done
        return {"state": imported.state, "created": imported.stored_count,
                "result_url": result_url}  # fmt: skip
    # "\n" only: a cell may hold U+2028 or U+0085 unescaped, which splitlines() would split at
    lines = gzip.decompress(bytes(imported.data)).decode().rstrip("\n").split("\n")
    header = json.loads(lines[0])[1:]
    rows = [json.loads(line) for line in lines[1:]]
    progress(0, len(rows), "validating rows")
    valid, found = _validate(header, rows, progress)
    errors = sorted([*imported.errors, *found], key=lambda e: e["row"])
    error_count = imported.error_count + len(found)  # those on arrival, then the job's
    if error_count:
        with audited(
            tenant=imported.tenant,
            action="financial_risk.transactions.import.reject",
            resource_type="financial_risk.transactionimport",
            resource_id=str(imported.pk),
        ) as event:
            _finish(imported, state=TransactionImportState.REJECTED, errors=errors[:MAX_ERRORS],
                    error_count=error_count)  # fmt: skip
            event.row_count = 0
            event.details = {"rows": imported.row_count, "rows_with_errors": error_count}
        first = errors[0]
        raise _file_error(
            f"{error_count} error(s), nothing stored; first: row {first['row']}, "
            f"{first['field']}: {first['message']} (all at {result_url})"
        )
    progress(len(rows), len(rows), "storing")
    with transaction.atomic():
        stored = transactions_ingest(
            tenant=imported.tenant, rows=valid,
            source={"import": str(imported.pk), "filename": imported.filename},
        )  # fmt: skip
        _finish(imported, state=TransactionImportState.STORED, stored_count=len(stored))
    return {"state": TransactionImportState.STORED.value, "created": len(stored),
            "result_url": result_url}  # fmt: skip
