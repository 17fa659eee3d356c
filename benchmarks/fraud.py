"""The fraud benchmark's order of work (``manage.py bench_fraud``): store a synthetic history
for the ``bench-fraud`` tenant and train its champion; raw per-row scoring in this process;
open-loop Poisson arrivals through REST at 50 transactions per second, then rising rates to
find the highest one the machine sustains; report.

Raw: the same feature code (``online_features`` over an in-memory window state), one
``xgboost`` ``pred_contribs`` call per row (probability and SHAP at once), the reasons and
the decision, per row, in this process. REST: ``POST /api/v1/risk/transactions/score`` to a
gunicorn it starts (``benchmarks.harness.processes.start_web``), each request with its own
Idempotency-Key; latency runs from the arrival's scheduled time to the answer, so a client
or server that falls behind shows up in the figures (open loop).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from apps.accounts.benchmark import bench_tenant
from apps.accounts.models import ApiKey
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke
from apps.core.context import Actor, actor_scope
from apps.financial_risk.api.fraud_serializers import TransactionInSerializer
from apps.financial_risk.engine.fraud_features import CHANNELS, Event, MemoryState, online_features
from apps.financial_risk.engine.fraud_reasons import reasons as reasons_of
from apps.financial_risk.evaluation.fraud_stream import DAY_MS, Stream
from apps.financial_risk.evaluation.fraud_synthetic import TRAINING, synthetic_stream
from apps.financial_risk.models import FraudDecision, ModelState, Transaction
from apps.financial_risk.services import risk_model_promote
from apps.financial_risk.services.fraud_models import fraud_model_train
from apps.financial_risk.services.fraud_scoring import fraud_decisions_audit, fraud_scorer
from apps.financial_risk.services.fraud_state import tenant_state_clear
from apps.financial_risk.services.fraud_transactions import transactions_ingest
from benchmarks.harness.processes import ManagedProcess, platform_env, start_web
from benchmarks.risk import machine

BENCH_TENANT = "bench-fraud"
SLO_P99_MS = 100  # the bar at 50/s
BACKLOG_P99_MS = 1000  # beyond this, requests are queueing: the rate is not sustained
# The request log line (apps.core.middleware.request_duration_text): "… in 812 ms" or "… in 15.3 s".
SERVER_TIME = re.compile(r"POST /api/v1/risk/transactions/score -> 201 in (\d+(?:\.\d+)?) (ms|s)\b")


def server_ms_of(text: str) -> list[float]:
    """The scoring requests' times inside Django, in milliseconds, from request log lines."""
    return [
        float(value) * (1 if unit == "ms" else 1000) for value, unit in SERVER_TIME.findall(text)
    ]


@dataclass
class FraudPlan:
    name: str
    accounts: int
    weeks: int
    rate: float  # the main run's arrivals per second
    seconds: float
    ramp: tuple[float, ...]  # the search for the highest sustained rate
    ramp_seconds: float
    raw_rows: int

    @classmethod
    def full(cls) -> FraudPlan:
        return cls("full", 400, 4, 50, 60, (50, 75, 100, 150, 200, 300, 400), 15, 3000)

    @classmethod
    def smoke(cls) -> FraudPlan:
        return cls("smoke", 60, 3, 10, 4, (10, 20), 3, 200)


def _percentile(values, q) -> float:
    return round(float(np.percentile(np.asarray(values), q)), 2) if len(values) else float("nan")


class Arrivals:
    """The scored transactions in time order, repeated a week later (and so on) when a run
    needs more than the stream holds: every account's events stay in time order."""

    def __init__(self, stream: Stream, start: int):
        self.stream, self.start = stream, start
        self.span = int(stream.ts_ms[-1] - stream.ts_ms[start]) + DAY_MS
        self.next = 0

    def take(self) -> dict:
        size = len(self.stream) - self.start
        lap, offset = divmod(self.next, size)
        self.next += 1
        i = self.start + offset
        s = self.stream
        ts = int(s.ts_ms[i]) + lap * self.span
        return {
            "account": str(s.account[i]),
            "amount": f"{int(s.amount_cents[i]) / 100:.2f}",
            "currency": str(s.currency[i]),
            "occurred_at": datetime.fromtimestamp(ts / 1000, UTC).isoformat(),
            "merchant_category": int(s.merchant_category[i]),
            "channel": CHANNELS[int(s.channel[i])],
            "country": str(s.country[i]),
            "device_id": str(s.device[i]),
            "ip_address": str(s.ip[i]),
            "card_number": str(s.card[i]),
        }


class FraudBenchmark:
    def __init__(
        self, *, plan, log_dir: Path, repo_root: Path, settings_module: str, say, workers=1
    ):
        self.plan, self.log_dir, self.repo_root = plan, log_dir, repo_root
        self.workers = workers
        self.settings_module, self.say = settings_module, say
        self.processes: list[ManagedProcess] = []
        self._local = threading.local()

    # ------------------------------------------------------------------ preparation
    def _prepare(self, tenant):
        FraudDecision.objects.filter(tenant=tenant).delete()
        Transaction.objects.filter(tenant=tenant).delete()
        tenant_state_clear(tenant=tenant)
        # Denser fraud than the evaluation: the champion only needs to be a real model.
        patterns = replace(TRAINING, episodes_per_account_week=0.1)
        stream = synthetic_stream(
            patterns=patterns, accounts=self.plan.accounts, weeks=self.plan.weeks, seed=31
        )
        cut = int(np.searchsorted(stream.ts_ms, np.quantile(stream.ts_ms, 0.75)))
        history = stream.take(np.arange(cut))
        self.say(f"storing {cut} transactions of history and training the champion")
        body = TransactionInSerializer(data=history.rows(), many=True)
        body.is_valid(raise_exception=True)
        transactions_ingest(tenant=tenant, rows=body.validated_data)
        model = fraud_model_train(tenant=tenant, name="bench-fraud")
        model = risk_model_promote(tenant=tenant, model=model, state=ModelState.CHAMPION)
        return stream, cut, model

    # ------------------------------------------------------------------ raw
    def _raw(self, stream: Stream, cut: int, model) -> list[float]:
        """The same feature code and model per row in this process, no web, no database."""
        scorer = fraud_scorer(model)
        memory = MemoryState()

        def event(i, lap=0, span=0):
            return Event(int(stream.ts_ms[i]) + lap * span, int(stream.amount_cents[i]),
                         str(stream.device[i]), str(stream.country[i]),
                         int(stream.merchant_category[i]), int(stream.channel[i]))  # fmt: skip

        for i in range(cut):
            memory.add(str(stream.account[i]), event(i))
        latencies = []
        size = len(stream) - cut
        span = int(stream.ts_ms[-1] - stream.ts_ms[cut]) + DAY_MS
        for n in range(self.plan.raw_rows):
            lap, offset = divmod(n, size)
            i = cut + offset
            e = event(i, lap, span)
            account = str(stream.account[i])
            started = time.perf_counter()
            values = online_features(e, memory.state_for(account, e), scorer.names)
            probability, contributions = scorer.score(values)
            reasons_of(scorer.names, values, contributions)
            scorer.outcome(probability)
            memory.add(account, e)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies

    def _start_web(self, env):
        """The project's bench web server (``start_web``: gunicorn, one gthread worker of 64
        threads) or, with ``--workers N``, N worker processes of 16 threads each."""
        if self.workers <= 1:
            return start_web(env, self.log_dir, self.repo_root)
        return start_web(env, self.log_dir, self.repo_root, workers=self.workers, threads=16)

    # ------------------------------------------------------------------ REST, open loop
    def _post(self, port, token, body) -> int:
        """One scoring request on this thread's keep-alive connection. A connection the server
        closed while idle (gunicorn's keep-alive timeout) is replaced and the request sent
        again: safe, because it carries the same Idempotency-Key."""
        headers = {
            "Authorization": f"Api-Key {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        payload = json.dumps(body)
        for _attempt in range(2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", "/api/v1/risk/transactions/score", payload, headers)
                response = conn.getresponse()
                response.read()
                return response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
        return 0

    def _run(self, port, token, arrivals: Arrivals, rate: float, seconds: float) -> dict:
        """Poisson arrivals at ``rate`` per second for ``seconds``; each request is sent at
        its scheduled time by a pool thread, its latency counted from that time."""
        rng = np.random.default_rng(int(rate * 1000 + seconds))
        offsets = np.cumsum(rng.exponential(1 / rate, int(rate * seconds * 1.5) + 10))
        offsets = offsets[offsets < seconds]
        bodies = [arrivals.take() for _ in offsets]
        latencies, statuses = [], []
        lock = threading.Lock()

        def send(scheduled: float, body: dict):
            status = self._post(port, token, body)
            done = time.perf_counter()
            with lock:
                latencies.append((done - scheduled) * 1000)
                statuses.append(status)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=128) as pool:
            for offset, body in zip(offsets, bodies, strict=True):
                scheduled = started + offset
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, scheduled, body)
        wall = time.perf_counter() - started
        ok = sum(1 for s in statuses if s == 201)
        return {
            "statuses": {str(k): v for k, v in sorted(Counter(statuses).items())},
            "rate": rate,
            "seconds": seconds,
            "requests": len(offsets),
            "ok": ok,
            "errors": len(statuses) - ok,
            "achieved_tps": round(ok / wall, 1),
            "p50_ms": _percentile(latencies, 50),
            "p95_ms": _percentile(latencies, 95),
            "p99_ms": _percentile(latencies, 99),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }

    @staticmethod
    def _server_ms(log: Path, start: int) -> dict:
        """The time the platform's request log gives each scoring request inside Django
        (from the middleware to the answer): what the code costs, without the waits in the
        client, the socket and gunicorn's queue."""
        with open(log, "rb") as fh:
            fh.seek(start)
            text = fh.read().decode(errors="replace")
        values = server_ms_of(text)
        return {
            "requests": len(values),
            "p50": _percentile(values, 50),
            "p99": _percentile(values, 99),
        }

    @staticmethod
    def sustained(run: dict) -> bool:
        """Kept up: no errors, the answers came at the offered rate and no backlog built up
        (a queue that grows during the run puts its p99 in seconds)."""
        return (
            run["errors"] == 0
            and run["achieved_tps"] >= 0.95 * run["requests"] / run["seconds"]
            and run["p99_ms"] <= BACKLOG_P99_MS
        )

    def run(self) -> dict:
        info = machine()
        plan = self.plan
        self.say(f"machine: {info['cpu']}, {info['usable_cpus']} CPUs; plan {plan.name}")
        load_before = os.getloadavg()
        with actor_scope(Actor("system", label="bench_fraud")):
            tenant = bench_tenant(slug=BENCH_TENANT, name="Fraud benchmark")
            for stale in ApiKey.objects.filter(
                tenant=tenant, name="bench", revoked_at__isnull=True
            ):
                api_key_revoke(api_key=stale)
            key = api_key_create(
                tenant=tenant, name="bench", role=Role.ANALYST, rate_limit="1000000/min"
            )
            try:
                stream, cut, model = self._prepare(tenant)
                self.say(f"raw: {plan.raw_rows} rows, features + pred_contribs per row")
                raw = self._raw(stream, cut, model)
                env = platform_env(max_batch_size=None, settings_module=self.settings_module)
                self.say("starting the web server (gunicorn)")
                web, port = self._start_web(env)
                self.processes.append(web)
                arrivals = Arrivals(stream, cut)
                try:
                    self._run(port, key.token, arrivals, rate=20, seconds=2)  # warm-up
                    self.say(f"open loop: {plan.rate:g}/s for {plan.seconds:g}s")
                    log_from = web.log.stat().st_size
                    main = self._run(port, key.token, arrivals, plan.rate, plan.seconds)
                    main["server_ms"] = self._server_ms(web.log, log_from)
                    self.say(f"  {main}")
                    ramp = []
                    for rate in plan.ramp:
                        step = self._run(port, key.token, arrivals, rate, plan.ramp_seconds)
                        step["sustained"] = self.sustained(step)
                        ramp.append(step)
                        self.say(f"  ramp {step}")
                        if not step["sustained"]:
                            break
                finally:
                    for process in reversed(self.processes):
                        process.stop()
                started = time.perf_counter()
                audited = fraud_decisions_audit(tenant=tenant, limit=1_000_000)
                audit_ms = (time.perf_counter() - started) * 1000
            finally:
                api_key_revoke(api_key=key.api_key)
                FraudDecision.objects.filter(tenant=tenant).delete()
                Transaction.objects.filter(tenant=tenant).delete()
                tenant_state_clear(tenant=tenant)
        passing = [s["rate"] for s in ramp if s["sustained"]]
        within_slo = [s["rate"] for s in ramp if s["sustained"] and s["p99_ms"] <= SLO_P99_MS]
        return {
            "score_p50_ms": main["p50_ms"],
            "score_p95_ms": main["p95_ms"],
            "score_p99_ms": main["p99_ms"],
            "sustained_tps": max(passing) if passing else 0,
            "slo_tps": max(within_slo) if within_slo else 0,
            "server_p50_ms": main["server_ms"]["p50"],
            "server_p99_ms": main["server_ms"]["p99"],
            "raw_p50_ms": _percentile(raw, 50),
            "raw_p99_ms": _percentile(raw, 99),
            "rate": plan.rate,
            "seconds": plan.seconds,
            "requests": main["requests"],
            "errors": main["errors"],
            "achieved_tps": main["achieved_tps"],
            "ramp": ramp,
            "sustained_rule": "no errors, >=95% of the offered rate answered, "
            f"p99 <= {BACKLOG_P99_MS} ms (slo_tps: also p99 <= {SLO_P99_MS} ms)",
            "decisions_audited": audited,
            "audit_batch_ms": round(audit_ms, 1),
            "model": model.label,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "plan": plan.name,
            "web_workers": self.workers,
            "machine": info,
        }
