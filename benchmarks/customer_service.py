"""The customer-service benchmark's order of work (``manage.py bench_customer_service``).

1. An inference worker (the platform's own: ``celery -Q inference -P threads``) is started, and
   the ``bench-cs`` tenant is set up through it like the demo: shop graph with node
   embeddings, demo intents and orders, a trained intent model.
2. A web server (gunicorn, gthread) is started; a warm-up conversation loads the chat model.
3. ``conversations`` clients talk at the same time over the REST API, each through the same
   script (a form turn, then grounded questions); every reply's wall time is measured here, and
   the server reports, per reply, the client-side round trips of its model calls (embedding
   and chat) and the chat call's queue and compute time (``InferenceResult``).

Overhead = wall time - model round trips; ``overhead_fraction`` = summed overhead / summed wall.
Every process started is stopped in ``finally``.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from celery import current_app

from apps.accounts.benchmark import bench_tenant
from apps.accounts.models import ApiKey
from apps.accounts.roles import Role
from apps.accounts.services import api_key_create, api_key_revoke
from apps.core.context import Actor, actor_scope
from apps.customer_service.services import demo_setup
from benchmarks.harness.processes import (
    ManagedProcess,
    foreign_inference_consumers,
    platform_env,
    purge_inference_queue,
    start_web,
    start_worker,
)

BENCH_TENANT = "bench-cs"
SCRIPT = (
    "Hi, where is my order?",
    "It is 10023",
    "Is the StormShell rain jacket waterproof?",
    "How long does shipping to Norway take?",
    "What is your return policy?",
    "When will I get my refund?",
)
API = "/api/v1/customer-service/"


@dataclass
class BenchPlan:
    name: str
    conversations: int
    messages: int
    max_new_tokens: int

    @classmethod
    def full(cls) -> BenchPlan:
        return cls("full", conversations=8, messages=len(SCRIPT), max_new_tokens=64)

    @classmethod
    def smoke(cls) -> BenchPlan:
        return cls("smoke", conversations=2, messages=3, max_new_tokens=8)


class BenchError(RuntimeError):
    """The benchmark cannot measure."""


def percentile(values, q) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class CustomerServiceBenchmark:
    def __init__(self, *, plan: BenchPlan, log_dir: Path, repo_root: Path, settings_module, say):
        self.plan, self.log_dir, self.repo_root = plan, log_dir, repo_root
        self.settings_module, self.say = settings_module, say
        self.processes: list[ManagedProcess] = []

    # ------------------------------------------------------------------ http
    def _request(self, port, token, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        try:
            conn.request(
                method,
                path,
                body=None if body is None else json.dumps(body),
                headers={"Authorization": f"Api-Key {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def _conversation(self, port, token, messages: int, replies: list, errors: list):
        try:
            status, body = self._request(port, token, "POST", f"{API}conversations/", {})
            if status != 201:
                raise BenchError(f"starting a conversation answered {status}: {body[:300]!r}")
            cid = json.loads(body)["id"]
            for text in SCRIPT[:messages]:
                started = time.perf_counter()
                status, body = self._request(
                    port, token, "POST", f"{API}conversations/{cid}/messages/", {"text": text}
                )
                wall_ms = (time.perf_counter() - started) * 1000
                if status != 200:
                    raise BenchError(f"a message answered {status}: {body[:300]!r}")
                reply = json.loads(body)
                replies.append({"text": text, "wall_ms": wall_ms, **reply})
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def _run_clients(self, port, token, clients: int, messages: int) -> list[dict]:
        replies, errors = [], []
        threads = [
            threading.Thread(
                target=self._conversation, args=(port, token, messages, replies, errors)
            )
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise BenchError(str(errors[0]))
        return replies

    # ------------------------------------------------------------------ set-up
    def _prepare(self, tenant) -> dict:
        return demo_setup(tenant=tenant)

    def _key(self, tenant):
        for stale in ApiKey.objects.filter(tenant=tenant, name="bench", revoked_at__isnull=True):
            api_key_revoke(api_key=stale)
        return api_key_create(
            tenant=tenant, name="bench", role=Role.AGENT, rate_limit="1000000/min"
        )

    # ------------------------------------------------------------------ run
    def run(self) -> dict:
        app = current_app._get_current_object()
        env = platform_env(max_batch_size=None, settings_module=self.settings_module)
        env["CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS"] = str(self.plan.max_new_tokens)
        # Every conversation runs the same script: cached answers would measure the cache.
        env["CUSTOMER_SERVICE_MODEL_CACHE"] = "false"
        with actor_scope(Actor("system", label="bench_customer_service")):
            tenant = bench_tenant(slug=BENCH_TENANT, name="Customer-service benchmark")
            key = self._key(tenant)
            try:
                purged = purge_inference_queue(app)
                if purged:
                    self.say(f"dropped {purged} stale message(s) from the inference queue")
                self.say("starting the inference worker")
                worker = start_worker(env, self.log_dir, self.repo_root, "cs", app)
                self.processes.append(worker)
                foreign = foreign_inference_consumers(app, worker.node)
                if foreign:
                    raise BenchError(
                        "other workers consume the inference queue on this Redis database "
                        f"({', '.join(foreign)}): give the benchmark a Redis database of its own"
                    )
                self.say("setting up the tenant (shop graph, intents, orders, training)")
                setup = self._prepare(tenant)
                self.say(f"intent model v{setup['model_version']} (accuracy {setup['accuracy']})")
                self.say("starting the web server")
                web, port = start_web(env, self.log_dir, self.repo_root)
                self.processes.append(web)
                self.say("warm-up conversation (loads the chat model)")
                self._run_clients(port, key.token, 1, 3)
                self.say(
                    f"{self.plan.conversations} concurrent conversations x "
                    f"{self.plan.messages} messages"
                )
                started = time.perf_counter()
                replies = self._run_clients(
                    port, key.token, self.plan.conversations, self.plan.messages
                )
                seconds = time.perf_counter() - started
            finally:
                for process in reversed(self.processes):
                    process.stop()
                api_key_revoke(api_key=key.api_key)
        return self._report(replies, seconds, setup)

    def _report(self, replies: list[dict], seconds: float, setup: dict) -> dict:
        if not replies:
            raise BenchError("no reply was measured")
        generated = [r for r in replies if "generation_ms" in r["timings"]]
        if not generated:
            raise BenchError("no reply went through the chat model")
        wall = [r["wall_ms"] for r in replies]
        model = [r["timings"].get("model_ms", 0.0) for r in replies]
        overhead = [max(0.0, w - m) for w, m in zip(wall, model, strict=True)]

        def p50(key, rows=replies):
            values = [r["timings"][key] for r in rows if key in r["timings"]]
            return round(statistics.median(values), 2) if values else None

        gen_wall = [r["wall_ms"] for r in generated]
        gen_overhead = [max(0.0, r["wall_ms"] - r["timings"]["model_ms"]) for r in generated]
        return {
            "reply_p50_ms": round(percentile(wall, 50), 1),
            "reply_p95_ms": round(percentile(wall, 95), 1),
            "generated_reply_p50_ms": round(percentile(gen_wall, 50), 1),
            "overhead_fraction": round(sum(overhead) / sum(wall), 4),
            "overhead_fraction_generated": round(sum(gen_overhead) / sum(gen_wall), 4),
            "overhead_p50_ms": round(percentile(overhead, 50), 1),
            "queue_ms_p50": p50("queue_ms", generated),
            # The grounding check's cost per generated reply (its embedding call included; it
            # is on by default, so overhead_fraction above is measured with it).
            "grounding_ms_p50": p50("grounding_ms", generated),
            "grounding_overhead_ms_p50": p50("grounding_overhead_ms", generated),
            "compute_ms_p50": p50("compute_ms", generated),
            "stages_p50_ms": {
                "nlu": p50("nlu_ms"),
                "retrieval": p50("retrieval_ms"),
                "generation": p50("generation_ms"),
                "store": p50("store_ms"),
                "model_round_trips": p50("model_ms"),
            },
            "replies": len(replies),
            "generated_replies": len(generated),
            "conversations": self.plan.conversations,
            "seconds": round(seconds, 2),
            "replies_per_s": round(len(replies) / seconds, 3),
            "intents": sorted({r["intent"] for r in replies if r["intent"]}),
            "max_new_tokens": self.plan.max_new_tokens,
            "intent_model_accuracy": setup.get("accuracy"),
            "plan": self.plan.name,
            "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        }
