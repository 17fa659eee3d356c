"""The risk benchmark's order of work (``manage.py bench_risk``): prepare the tenant, model
and data; raw XGBoost; the platform's batch job and single decisions; raw again; report.

The web server and worker are the platform's own processes (gunicorn, ``celery worker -Q
default``), started through ``benchmarks.harness.processes`` and stopped in ``finally``.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb
from celery import current_app
from django.db import connection

from apps.accounts.benchmark import bench_tenant
from apps.accounts.models import ApiKey
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke
from apps.core.context import Actor, actor_scope
from apps.financial_risk.demo.synthetic import synthetic_applications
from apps.financial_risk.engine.data import german_credit, table_from_frame, table_to_parquet
from apps.financial_risk.models import Dataset, Decision, ModelState, RiskModel
from apps.financial_risk.selectors import scoring_model
from apps.financial_risk.services import dataset_create, risk_model_promote, risk_model_train
from apps.financial_risk.services.demo import DEMO_OVERRIDE, german_credit_dataset
from apps.financial_risk.services.governance_settings import governance_settings_update
from apps.jobs.models import Job
from benchmarks.harness.processes import (
    ManagedProcess,
    platform_env,
    start_default_worker,
    start_web,
)

BENCH_TENANT = "bench-risk"


@dataclass
class BenchPlan:
    name: str
    rows: int
    decisions: int
    batch_rounds: int
    training: dict | None  # None: the default training configuration

    @classmethod
    def full(cls) -> BenchPlan:
        return cls("full", rows=100_000, decisions=300, batch_rounds=3, training=None)

    @classmethod
    def smoke(cls) -> BenchPlan:
        fast = {"cv_folds": 2, "inner_folds": 2, "max_rounds": 60, "early_stopping_rounds": 15}
        return cls("smoke", rows=3_000, decisions=20, batch_rounds=1, training=fast)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "cpu": cpu,
        "usable_cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "gpu": os.path.exists("/dev/nvidia0"),
        "xgboost": xgb.__version__,
        "python": platform.python_version(),
    }


class RiskBenchmark:
    def __init__(
        self, *, plan: BenchPlan, log_dir: Path, repo_root: Path, settings_module: str, say
    ):
        self.plan, self.log_dir, self.repo_root = plan, log_dir, repo_root
        self.settings_module, self.say = settings_module, say
        self.processes: list[ManagedProcess] = []

    # ------------------------------------------------------------------ preparation
    def _tenant_and_key(self):
        tenant = bench_tenant(slug=BENCH_TENANT, name="Risk benchmark")
        # The synthetic applications jitter the real values, so a few hundred of 100,000 fall
        # just outside the training ranges: referred with their reasons, not a refused batch.
        governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
        for stale in ApiKey.objects.filter(tenant=tenant, name="bench", revoked_at__isnull=True):
            api_key_revoke(api_key=stale)  # keys a killed run left behind
        created = api_key_create(
            tenant=tenant, name="bench", role=Role.ANALYST, rate_limit="1000000/min"
        )
        return tenant, created

    def _champion(self, tenant) -> RiskModel:
        name = f"bench-{self.plan.name}"
        model = RiskModel.objects.filter(
            tenant=tenant, name=name, state=ModelState.CHAMPION
        ).first()
        if model is None:
            self.say("training the German credit champion for the benchmark (once)")
            dataset = german_credit_dataset(tenant=tenant)
            model = risk_model_train(
                tenant=tenant, dataset=dataset, name=name, training_config=self.plan.training
            )
            model = risk_model_promote(
                tenant=tenant,
                model=model,
                state=ModelState.CHAMPION,
                system_override=DEMO_OVERRIDE,
            )
        return model

    def _applications(self, tenant, model):
        frame, schema, _ = german_credit()
        table = table_from_frame(frame, schema, require_target=True)
        rows = synthetic_applications(table, schema, self.plan.rows, seed=7)
        features = {n: k for n, k in schema.columns.items() if n != schema.target}
        dataset_schema = {"columns": features, "protected": list(schema.protected)}
        content = table_to_parquet(rows)
        existing = Dataset.objects.filter(tenant=tenant, name=f"bench-{self.plan.rows}").first()
        dataset = existing or dataset_create(
            tenant=tenant,
            name=f"bench-{self.plan.rows}",
            schema=dataset_schema,
            content=content,
            filename="bench.parquet",
        )
        applicants = []
        sources = scoring_model(model).pipeline.sources
        for i in range(self.plan.decisions):
            row = i % len(frame)
            applicants.append(
                {
                    name: value if isinstance(value, str) else float(value)
                    for name in sources
                    for value in [table[name][row]]
                }
            )
        return dataset, rows, applicants

    # ------------------------------------------------------------------ measures
    def _raw(self, booster, matrix) -> float:
        """Raw XGBoost on the same matrix: DMatrix, predict, pred_contribs, all cores."""
        started = time.perf_counter()
        data = xgb.DMatrix(matrix, nthread=-1)
        booster.predict(data)
        booster.predict(data, pred_contribs=True)
        return time.perf_counter() - started

    def _vacuum(self) -> None:
        """Earlier runs' deleted decisions would otherwise be vacuumed by autovacuum in the
        middle of a measured round; clean the table before measuring."""
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {Decision._meta.db_table}")

    def _request(self, port, token, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        try:
            payload = None if body is None else json.dumps(body)
            headers = {"Authorization": f"Api-Key {token}", "Content-Type": "application/json"}
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _batch(self, port, token, dataset, model, rows: int) -> tuple[float, float]:
        started = time.perf_counter()
        status, body = self._request(
            port,
            token,
            "POST",
            "/api/v1/risk/batch-scorings/",
            {"dataset": str(dataset.pk), "model": str(model.pk)},
        )
        if status != 202:
            raise RuntimeError(f"batch scoring answered {status}: {body[:300]!r}")
        job_id = json.loads(body)["id"]
        # The job's row is watched in the database: polling GET /api/v1/jobs/<id>/ fifty
        # times a second would spend the web server's CPU, which the worker shares here.
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            job = Job.objects.filter(pk=job_id).values(
                "state", "error", "result", "started_at", "finished_at"
            )[0]
            if job["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - started
        if job["state"] != "succeeded":
            raise RuntimeError(f"the batch job ended {job['state']}: {job['error']}")
        if job["result"]["rows"] != rows:
            raise RuntimeError(f"the batch scored {job['result']['rows']} rows, not {rows}")
        inside = (job["finished_at"] - job["started_at"]).total_seconds()
        return wall, inside

    def _singles(self, port, token, applicants) -> list[float]:
        for applicant in applicants[:5]:  # warm-up: the web process loads the model once
            self._request(port, token, "POST", "/api/v1/risk/decisions/", {"applicant": applicant})
        latencies = []
        for applicant in applicants:
            started = time.perf_counter()
            status, body = self._request(
                port, token, "POST", "/api/v1/risk/decisions/", {"applicant": applicant}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 201:
                raise RuntimeError(f"a decision answered {status}: {body[:300]!r}")
        return latencies

    # ------------------------------------------------------------------ processes
    def _start_worker(self, env, celery_app) -> ManagedProcess:
        worker = start_default_worker(env, self.log_dir, self.repo_root, "risk", celery_app)
        self.processes.append(worker)
        return worker

    def run(self) -> dict:
        info = machine()
        self.say(f"machine: {info['cpu']}, {info['usable_cpus']} CPUs; plan {self.plan.name}")
        with actor_scope(Actor("system", label="bench_risk")):
            tenant, key = self._tenant_and_key()
            try:
                model = self._champion(tenant)
                dataset, rows, applicants = self._applications(tenant, model)
                self._vacuum()
                loaded = scoring_model(model)
                matrix = loaded.pipeline.transform(rows)  # raw gets the matrix ready-made
                booster = loaded.booster.copy()
                booster.set_param({"nthread": os.cpu_count() or 1})
                raw, batches = [], []
                env = platform_env(max_batch_size=None, settings_module=self.settings_module)
                try:
                    self.say("starting the web server and a default-queue worker")
                    web, port = start_web(env, self.log_dir, self.repo_root)
                    self.processes.append(web)
                    self._start_worker(env, current_app._get_current_object())
                    # Warm-up: the worker's first task imports the scientific stack and loads
                    # the model; the measured rounds start from a warm worker.
                    warm = german_credit_dataset(tenant=tenant)
                    self._batch(port, key.token, warm, model, warm.row_count)
                    # Raw and batch rounds alternate (the platform's processes idle during
                    # raw), so a change in the machine's load hits both alike.
                    for round_ in range(self.plan.batch_rounds):
                        raw.append(self._raw(booster, matrix))
                        wall, inside = self._batch(port, key.token, dataset, model, self.plan.rows)
                        batches.append((wall, inside))
                        self.say(
                            f"round {round_ + 1}: raw {raw[-1]:.2f}s, batch {wall:.2f}s "
                            f"(job itself {inside:.2f}s)"
                        )
                    raw.append(self._raw(booster, matrix))
                    self.say(f"{self.plan.decisions} single decisions over REST")
                    latencies = self._singles(port, key.token, applicants)
                finally:
                    for process in reversed(self.processes):
                        process.stop()
            finally:
                api_key_revoke(api_key=key.api_key)
                Decision.objects.filter(tenant=tenant).delete()  # keep the bench tenant small
        raw_s = statistics.median(raw)
        # Per round, raw over batch; its median is the figure (robust to a noisy neighbour).
        ratios = [r / w for r, (w, _) in zip(raw, batches, strict=False)]
        batch_s = statistics.median(w for w, _ in batches)
        lat = np.asarray(latencies)
        return {
            "batch_over_raw": round(statistics.median(ratios), 3),
            "batch_over_raw_rounds": [round(r, 3) for r in ratios],
            "single_decision_p50_ms": round(float(np.percentile(lat, 50)), 2),
            "single_decision_p95_ms": round(float(np.percentile(lat, 95)), 2),
            "single_decision_mean_ms": round(float(lat.mean()), 2),
            "rows": self.plan.rows,
            "raw_seconds": round(raw_s, 3),
            "batch_seconds": round(batch_s, 3),
            "batch_job_seconds": round(statistics.median(i for _, i in batches), 3),
            "raw_rows_per_s": round(self.plan.rows / raw_s),
            "batch_rows_per_s": round(self.plan.rows / batch_s),
            "decisions": self.plan.decisions,
            "model": model.label,
            "trees": int(scoring_model(model).booster.num_boosted_rounds()),
            "plan": self.plan.name,
            "machine": info,
        }
