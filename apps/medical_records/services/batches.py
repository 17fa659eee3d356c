"""Bulk ingestion: a CSV or JSONL file of notes, validated whole at upload (errors name line and
field), kept encrypted until a job has structured it in chunks with progress."""

from __future__ import annotations

import csv
import io
import json

from apps.audit.services import audited
from apps.core.upload_guard import check_lines, check_record, csv_header, guarded_csv
from apps.jobs.services import job_create
from apps.medical_records.models import NoteBatch, Source

from .identity import decrypt, encrypt
from .notes import NoteInput, NoteInputError, notes_structure

BATCH_JOB_KIND = "medical_records.batch_structure"
BATCH_TASK_NAME = "apps.medical_records.tasks.note_batch_task"
CHUNK = 100
MAX_ROWS = 50_000
FIELDS = {"text", "language", "title", "patient_name", "mrn"}


def rows_parse(content: bytes, fmt: str) -> list[dict]:
    """Rows of a CSV (header with a ``text`` column) or JSONL file; NoteInputError names the
    line and field of every problem (up to 20)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoteInputError({"file": ["The file must be UTF-8 text."]}) from None
    rows, errors = [], []
    if fmt == Source.CSV:
        reader = csv.DictReader(io.StringIO(text))
        if "text" not in csv_header(reader, field="file"):
            raise NoteInputError({"file": ["line 1: the CSV header needs a 'text' column."]})
        unknown = set(reader.fieldnames) - FIELDS
        if unknown:
            raise NoteInputError(
                {"file": [f"line 1: unknown columns {sorted(unknown)}; allowed {sorted(FIELDS)}."]}
            )
        numbered = ((reader.line_num, row) for row in guarded_csv(reader, field="file"))
    else:

        def jsonl():
            for number, line in enumerate(check_lines(text, field="file", cells=False), start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"line {number}: not JSON ({exc.msg})")
                    continue
                if not isinstance(row, dict):
                    errors.append(f"line {number}: must be a JSON object")
                    continue
                check_record(row, field="file", where=f"at line {number}")
                unknown = set(row) - FIELDS
                if unknown:
                    errors.append(f"line {number}: unknown fields {sorted(unknown)}")
                    continue
                yield number, row

        numbered = jsonl()
    for number, row in numbered:
        item = NoteInput(**{k: v if v is not None else "" for k, v in row.items() if k in FIELDS})
        try:
            if not all(
                isinstance(v, str)
                for v in (item.text, item.language, item.title, item.patient_name, item.mrn)
            ):
                raise NoteInputError({"row": ["every field must be a string"]})
            item.check()
        except NoteInputError as exc:
            for field, messages in exc.errors.items():
                errors.append(f"line {number}: {field}: {messages[0]}")
            continue
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise NoteInputError({"file": [f"At most {MAX_ROWS} notes per batch."]})
    if errors:
        raise NoteInputError({"file": errors[:20]})
    if not rows:
        raise NoteInputError({"file": ["The file holds no notes."]})
    return rows


def note_batch_start(*, tenant, content: bytes, fmt: str) -> NoteBatch:
    """Validate the file, keep its rows encrypted and queue the job (the API answers 202)."""
    rows = rows_parse(content, fmt)
    with audited(
        tenant=tenant,
        action="medical_records.batch.start",
        resource_type="medical_records.notebatch",
    ) as event:
        batch = NoteBatch.objects.create(
            tenant=tenant,
            format=fmt,
            total=len(rows),
            encrypted_payload=encrypt(json.dumps(rows, ensure_ascii=False)),
        )
        batch.job = job_create(
            tenant=tenant,
            kind=BATCH_JOB_KIND,
            task_name=BATCH_TASK_NAME,
            params={"batch_id": str(batch.pk)},
        )
        batch.save(update_fields=["job"])
        event.resource_id = str(batch.pk)
        event.row_count = len(rows)
    return batch


def note_batch_run(*, batch: NoteBatch, progress) -> dict:
    """Structure the batch's rows in chunks; a retried job continues after the rows already
    stored. The encrypted rows are erased at the end."""
    if not batch.encrypted_payload:
        return {"notes": batch.structured, "result_url": f"/api/v1/medical/batches/{batch.pk}/"}
    rows = json.loads(decrypt(batch.encrypted_payload))
    done = batch.notes.count()
    progress(done, len(rows))
    for start in range(done, len(rows), CHUNK):
        chunk = [NoteInput(**row) for row in rows[start : start + CHUNK]]
        notes_structure(tenant=batch.tenant, items=chunk, source=batch.format, batch=batch)
        done = start + len(chunk)
        NoteBatch.objects.filter(pk=batch.pk).update(structured=done)
        progress(done, len(rows))
    NoteBatch.objects.filter(pk=batch.pk).update(structured=done, encrypted_payload="")
    return {"notes": done, "result_url": f"/api/v1/medical/batches/{batch.pk}/"}
