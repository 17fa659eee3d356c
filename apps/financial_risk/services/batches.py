"""Batch scoring of an uploaded dataset as a job: scored and explained in chunks, decisions
bulk-inserted (PostgreSQL COPY), one audit event for the whole batch, results as CSV. Rows are
checked against the model's training schema like single decisions: outside it, the batch is
refused with a 400 naming each column (before any job starts), or, where the tenant refers
such applicants, those rows become "refer" decisions whose reasons name the columns."""

from __future__ import annotations

import io
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from apps.audit.services import audited, input_digest
from apps.core.csv_safe import csv_writer
from apps.financial_risk.engine.data import NUMERIC, SchemaError, table_rows, table_take
from apps.financial_risk.engine.input_checks import table_out_of_distribution
from apps.financial_risk.engine.scoring import OUTCOMES
from apps.financial_risk.models import BatchScoring, Dataset, Decision, RiskModel
from apps.financial_risk.selectors import dataset_schema, dataset_table, model_schema, scoring_model
from apps.jobs.services import job_create

from .batch_progress import ProgressOnItsOwnConnection
from .governance_settings import governance_settings

BATCH_JOB_KIND = "financial_risk.batch_score"
BATCH_TASK_NAME = "apps.financial_risk.tasks.batch_scoring_task"
# Rows scored per chunk: big enough for XGBoost's threads, small enough for steady progress.
CHUNK_ROWS = 20_000
CSV_COLUMNS = ["row_number", "probability", "points", "outcome", "reasons"]


def _check_compatible(dataset: Dataset, model: RiskModel) -> None:
    """The dataset must declare every input column of the model, with the same kind."""
    data_schema, wanted = dataset_schema(dataset), model_schema(model)
    errors = {}
    for column in model.fitted_state["pipeline"]["config"]["columns"]:
        kind = wanted.kind(column)
        if data_schema.columns.get(column) != kind:
            errors[f"dataset.{column}"] = [f"The model needs a {kind} column {column!r}."]
    if errors:
        raise SchemaError(errors)


SHOWN_ROWS = 10


def _unusual_rows(tenant, model: RiskModel, table) -> dict:
    """Per input column, the rows outside the version's training schema (``card.input_schema``)
    and why; versions trained before the schema was recorded are not checked."""
    input_schema = model.card.get("input_schema")
    if not input_schema:
        return {}
    config = governance_settings(tenant)
    return table_out_of_distribution(
        table,
        input_schema,
        tolerance=config["range_tolerance"],
        per_feature=config["feature_tolerance"],
    )


def _check_in_distribution(tenant, dataset: Dataset, model: RiskModel) -> None:
    """Unless the tenant refers such applicants, rows outside the training schema refuse the
    batch: a 400 naming each column, with the first rows (numbered from 1, as the dataset's
    own errors are) and why."""
    if governance_settings(tenant)["out_of_distribution"] == "refer":
        return
    unusual = _unusual_rows(tenant, model, dataset_table(dataset))
    errors = {}
    for column, (mask, why) in sorted(unusual.items()):
        rows = np.flatnonzero(mask)
        shown = ", ".join(str(r + 1) for r in rows[:SHOWN_ROWS])
        more = ", …" if len(rows) > SHOWN_ROWS else ""
        errors[f"dataset.{column}"] = [f"{len(rows)} row(s) {why}: row {shown}{more}."]
    if errors:
        raise SchemaError(errors)


def batch_scoring_start(*, tenant, dataset: Dataset, model: RiskModel) -> BatchScoring:
    """Queue a batch scoring (the API answers 202 with the job)."""
    _check_compatible(dataset, model)
    _check_in_distribution(tenant, dataset, model)
    with audited(
        tenant=tenant,
        action="financial_risk.batch.start",
        resource_type="financial_risk.batchscoring",
        model_name=model.name,
        model_revision=f"v{model.version}",
    ) as event:
        batch = BatchScoring.objects.create(tenant=tenant, dataset=dataset, model=model)
        batch.job = job_create(
            tenant=tenant,
            kind=BATCH_JOB_KIND,
            task_name=BATCH_TASK_NAME,
            params={"batch_id": str(batch.pk)},
        )
        batch.save(update_fields=["job"])
        event.resource_id = batch.pk
    batch.refresh_from_db()
    return batch


def _json_values(values: np.ndarray) -> list[str]:
    """Each value as a JSON literal: numbers (integers without ``.0``), strings, null."""
    if values.dtype.kind == "f":
        text = np.char.mod("%.10g", np.nan_to_num(values, nan=0.0)).astype(object)
        text[np.isnan(values)] = "null"
        return text.tolist()
    literal = {v: json.dumps(v) for v in set(values.tolist())}
    return [literal[v] for v in values.tolist()]


def _reason_json(loaded, result, table, rows: int) -> list[str]:
    """Each row's reasons as a JSON string, built a column at a time for all rows together
    (per-row dictionaries and ``json.dumps`` cost more than the scoring at 100,000 rows)."""
    top = result.top
    if top is None:
        return ["[]"] * rows
    sources = loaded.pipeline.sources
    contributions = np.take_along_axis(result.contributions, top, axis=1)
    fragments = np.full(top.shape, "", dtype=object)
    for j, column in enumerate(sources):
        head = (
            f'{{"feature":{json.dumps(column)},"phrase":'
            f'{json.dumps(loaded.pipeline.readable(column))},"value":'
        )
        for k in range(top.shape[1]):
            hits = np.flatnonzero((top[:, k] == j) & (contributions[:, k] > 0))
            if not len(hits):
                continue
            values = _json_values(table[column][hits])
            amounts = np.char.mod("%.4f", contributions[hits, k]).tolist()
            fragments[hits, k] = [
                f'{head}{v},"contribution":{c}}}' for v, c in zip(values, amounts, strict=True)
            ]
    return ["[" + ",".join(f for f in row if f) + "]" for row in fragments.tolist()]


def _uuid_hex(count: int) -> list[str]:
    """``count`` time-ordered UUIDs (version 7: 48 bits of Unix milliseconds, then the row's
    sequence number, then random bits) as 32 hex digits, which PostgreSQL reads without
    dashes. Ordered keys append to the right edge of the primary-key index instead of
    landing on random pages: a hundred thousand random ones dirtied (and logged) most of it."""
    raw = np.frombuffer(os.urandom(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    millis = int(time.time() * 1000)
    raw[:, :6] = np.frombuffer(millis.to_bytes(6, "big"), dtype=np.uint8)
    sequence = np.arange(count, dtype=np.uint32)
    raw[:, 6] = 0x70 | ((sequence >> 28) & 0x0F).astype(np.uint8)  # version 7
    raw[:, 7] = ((sequence >> 20) & 0xFF).astype(np.uint8)
    raw[:, 8] = 0x80 | ((sequence >> 14) & 0x3F).astype(np.uint8)  # RFC 9562 variant
    raw[:, 9] = ((sequence >> 6) & 0xFF).astype(np.uint8)
    raw[:, 10] = ((sequence & 0x3F) << 2).astype(np.uint8) | (raw[:, 10] & 0x03)
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * count, 32)]


REFER = OUTCOMES.index("refer")


def _referred(index, result, reasons: list[str], part, unusual: dict) -> None:
    """Rows outside the training schema become "refer" decisions, the columns first among
    their reasons (as single decisions do)."""
    for column, (mask, why) in sorted(unusual.items()):
        for k in np.flatnonzero(mask[index]):
            value = _json_values(np.asarray(part[column][k : k + 1]))[0]
            reason = (
                f'{{"feature":{json.dumps(column)},"phrase":'
                f'{json.dumps(f"out of distribution: {why}")},"value":{value},'
                '"contribution":null,"out_of_distribution":true}'
            )
            result.outcome[k] = REFER
            rest = reasons[k][1:-1]
            reasons[k] = f"[{reason}{',' if rest else ''}{rest}]"


def _scored_chunks(loaded, table, total: int, unusual: dict | None = None):
    """Yield ``(index, result, reasons)`` chunk after chunk; the next chunk is scored in a
    thread while the caller writes the current one to the database (XGBoost releases the
    GIL, and PostgreSQL digests a COPY on a core of its own). ``unusual``: the rows to refer
    (``_unusual_rows``)."""

    def score(start: int):
        index = np.arange(start, min(start + CHUNK_ROWS, total))
        part = table_take(table, index)
        result = loaded.score(part, explain=True)
        reasons = _reason_json(loaded, result, part, len(index))
        if unusual:
            _referred(index, result, reasons, part, unusual)
        return index, result, reasons

    starts = list(range(0, total, CHUNK_ROWS))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-score") as pool:
        pending = pool.submit(score, starts[0]) if starts else None
        for following in [*starts[1:], None]:
            current = pending.result()
            pending = pool.submit(score, following) if following is not None else None
            yield current


def batch_scoring_run(*, batch: BatchScoring, progress=None) -> dict:
    """Score every row, insert the decisions, write one audit event. Idempotent: a retried
    job replaces the decisions of an earlier attempt (all in one transaction)."""
    model, dataset = batch.model, batch.dataset
    loaded = scoring_model(model)
    table = dataset_table(dataset)
    schema = dataset_schema(dataset)
    for column in loaded.pipeline.sources:  # Parquet keeps types; make sure of the numeric ones
        if schema.kind(column) == NUMERIC:
            table[column] = np.asarray(table[column], dtype=np.float64)
    total = table_rows(table)
    unusual = _unusual_rows(batch.tenant, model, table)
    outcome_counts = np.zeros(len(OUTCOMES), dtype=np.int64)
    probability_sum = 0.0
    reporter = ProgressOnItsOwnConnection(progress)
    reporter(0, total, "scoring")

    def written(index, result):
        nonlocal probability_sum
        outcome_counts[:] += np.bincount(result.outcome, minlength=len(OUTCOMES))
        probability_sum += float(result.probability.sum())
        reporter(int(index[-1]) + 1, total, "scored and written")

    try:
        with audited(
            tenant=batch.tenant,
            action="financial_risk.batch.score",
            resource_type="financial_risk.batchscoring",
            resource_id=str(batch.pk),
            model_name=model.name,
            model_revision=f"v{model.version}",
        ) as event:
            Decision.objects.filter(batch=batch).delete()
            _insert_decisions(
                batch=batch, chunks=_scored_chunks(loaded, table, total, unusual), written=written
            )
            summary = {
                "rows": total,
                "outcomes": {n: int(c) for n, c in zip(OUTCOMES, outcome_counts, strict=True)},
                "mean_probability": round(probability_sum / max(total, 1), 4),
            }
            if unusual:  # rows referred, per column
                summary["out_of_distribution"] = {c: int(m.sum()) for c, (m, _) in unusual.items()}
            BatchScoring.objects.filter(pk=batch.pk).update(row_count=total, summary=summary)
            event.row_count = total
            event.input_digest = input_digest(tenant=batch.tenant, data=dataset.digest)
            event.details = {"dataset": str(dataset.pk), "outcomes": summary["outcomes"]}
            if unusual:
                event.details["out_of_distribution"] = summary["out_of_distribution"]
    finally:
        reporter.close()
    return {
        **summary,
        "batch_id": str(batch.pk),
        "result_url": f"/api/v1/risk/batch-scorings/{batch.pk}/results/",
    }


BACKSLASH = "\\"


def _copy_text(value: str) -> str:
    """COPY's text format reads backslashes as escapes: JSON's own (``\\u00e9``, ``\\"``) are
    doubled. JSON text holds no raw tab or newline, the format's other special characters."""
    return value.replace(BACKSLASH, BACKSLASH * 2) if BACKSLASH in value else value


COPY_COLUMNS = (
    "id, tenant_id, model_id, batch_id, row_number, reference, inputs, probability, points, "
    "outcome, reasons, challenger_id, challenger_probability, challenger_outcome, created_at"
)


def _insert_decisions(*, batch: BatchScoring, chunks, written) -> None:
    """COPY on PostgreSQL, the rows written as text a chunk at a time (row-by-row adaptation
    cost more than the scoring); ``bulk_create`` on other databases."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        for index, result, reasons in chunks:
            Decision.objects.bulk_create(
                (
                    Decision(
                        tenant_id=batch.tenant_id,
                        model_id=batch.model_id,
                        batch=batch,
                        row_number=int(i),
                        inputs={},
                        probability=float(p),
                        points=float(pts),
                        outcome=OUTCOMES[o],
                        reasons=json.loads(r),
                        created_at=now,
                    )
                    for i, p, pts, o, r in zip(
                        index,
                        result.probability,
                        result.points,
                        result.outcome,
                        reasons,
                        strict=True,
                    )
                ),
                batch_size=2000,
            )
            written(index, result)
        return
    # Everything but the id, the row and the scores is the same on every row.
    middle = f"\t{batch.tenant_id.hex}\t{batch.model_id.hex}\t{batch.pk.hex}\t"
    tail = f"\t\\N\t\\N\t\t{now.isoformat()}\n"
    sql = f"COPY {Decision._meta.db_table} ({COPY_COLUMNS}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: 300,000 checks would all run
        # at COMMIT, after the scoring. Immediate, they run in the server while the next chunk
        # scores.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # No wait for this transaction's WAL flush: the job's success is committed afterwards,
        # synchronously, and that flush covers every earlier record, so a crash can lose the
        # decisions only together with the job's success (the job then runs again).
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        with cursor.cursor.copy(sql) as copy:  # psycopg 3's COPY under Django's cursor
            for index, result, reasons in chunks:
                ids = _uuid_hex(len(index))
                outcomes = [OUTCOMES[o] for o in result.outcome.tolist()]
                lines = zip(
                    ids,
                    index.tolist(),
                    result.probability.tolist(),
                    result.points.tolist(),
                    outcomes,
                    reasons,
                    strict=True,
                )
                copy.write(
                    "".join(
                        f"{u}{middle}{i}\t\t{{}}\t{p!r}\t{pts!r}\t{o}\t{_copy_text(r)}{tail}"
                        for u, i, p, pts, o, r in lines
                    )
                )
                written(index, result)


def _code(reason: dict) -> str:
    if reason.get("out_of_distribution"):
        return f"{reason['feature']} (out of distribution)"
    return f"{reason['feature']} ({reason['contribution']:+.3f})"


def batch_results_csv(batch: BatchScoring):
    """The batch's decisions as CSV lines (a generator, for a streaming response)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)  # formula cells neutralised (apps.core.csv_safe)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    rows = (
        Decision.objects.filter(batch=batch)
        .order_by("row_number")
        .values_list("row_number", "probability", "points", "outcome", "reasons")
        .iterator(chunk_size=5000)
    )
    for row_number, probability, points, outcome, reasons in rows:
        buffer.seek(0)
        buffer.truncate()
        codes = "; ".join(_code(r) for r in reasons)
        writer.writerow([row_number, f"{probability:.6f}", points, outcome, codes])
        yield buffer.getvalue()
