"""``make loadtest``: the platform under a mixed load, on PostgreSQL and Redis.

Prepares a ``loadtest`` tenant (unlimited quotas, a fresh admin API key with a rate limit no run
reaches, each part's data: ``tests/load/parts.py``), starts gunicorn, a default-queue worker and
the inference worker (the benchmark's process helpers: own process groups, logs, stopped on
exit), runs locust headless (``tests/load/locustfile.py``: 20 users for 5 minutes by default),
then prints per endpoint requests/s, error rate and p50/p95/p99 latency, and one JSON line.
It fails (exit 1) on any 5xx or when more than 1% of requests got 429.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m tests.load.run [--users 20]
        [--duration 300] [--spawn-rate 2] [--out var/loadtest/<UTC time>]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TENANT = "loadtest"
MAX_429_RATE = 0.01


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=2.0)
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--parts", default="", help="comma-separated subset of the parts")
    parser.add_argument("--out", type=Path, default=None)
    return parser.parse_args(argv)


def setup_django() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("make loadtest runs against PostgreSQL and Redis: set DATABASE_URL (postgres://)")
    if not os.environ.get("REDIS_URL"):
        sys.exit("make loadtest runs against PostgreSQL and Redis: set REDIS_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    """The schema, and the chat model converted once (both no-ops when done already)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("prepare_models", verbosity=0)


def prepare(selected: list[str]) -> tuple[dict, object]:
    """The tenant, its key and each part's data. Runs once the workers are up: some parts
    compute embeddings or train through the inference worker."""
    from apps.accounts.benchmark import bench_tenant
    from apps.accounts.services import api_key_create

    from .parts import parts

    preparers = parts()
    tenant = bench_tenant(slug=TENANT, name="Load test")
    created = api_key_create(tenant=tenant, name="loadtest", role="admin", rate_limit="1000000/min")
    data = {}
    for name in selected:
        print(f"preparing {name}", flush=True)
        data[name] = preparers[name](tenant)
    return {"api_key": created.token, "tenant": TENANT, "parts": data}, created.api_key


def start_platform(out: Path):
    from benchmarks.harness.processes import (
        ManagedProcess,
        platform_env,
        purge_inference_queue,
        start_web,
        start_worker,
    )
    from config.celery import app as celery_app

    env = platform_env(max_batch_size=None, settings_module=os.environ["DJANGO_SETTINGS_MODULE"])
    # The platform's own request timeout, not the benchmark's long one: a load test must see
    # the 504s that clients would.
    env["INFERENCE_TIMEOUT_S"] = os.environ.get("INFERENCE_TIMEOUT_S", "120")
    env.update(MODELS_RUNTIME_WARM="chat,embed", DJANGO_LOG_LEVEL="WARNING")
    purge_inference_queue(celery_app)
    started = []
    try:
        default = ManagedProcess(
            "default worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "default",
                "-n",
                f"loadtest-default-{os.getpid()}@%h",
                "-c",
                "2",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            env,
            out / "worker-default.log",
            ROOT,
        )
        started.append(default)
        started.append(start_worker(env, out, ROOT, "loadtest", celery_app))
        web, port = start_web(env, out, ROOT)
        started.append(web)
    except BaseException:
        for process in reversed(started):
            process.stop()
        raise
    return started, port


def run_locust(args, out: Path, port: int) -> int:
    env = dict(os.environ)
    env.update(
        LOADTEST_SCENARIO=str(out / "scenario.json"),
        LOADTEST_STATUS=str(out / "status.json"),
        PYTHONPATH=str(ROOT),
    )
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "tests" / "load" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "60",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    with open(out / "locust.log", "w") as log:
        return subprocess.run(
            argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        ).returncode


def report(out: Path, args, load: tuple[float, float, float]) -> dict:
    """Per endpoint from locust's stats CSV, status codes from the locustfile's count."""
    statuses = json.loads((out / "status.json").read_text())
    rows = list(csv.DictReader(open(out / "locust_stats.csv")))
    per_name: dict[str, dict[str, int]] = {"Aggregated": {}}
    for key, count in statuses.items():
        name, code = key.split("|", 1)
        for bucket in (per_name.setdefault(name, {}), per_name["Aggregated"]):
            bucket[code] = bucket.get(code, 0) + count
    endpoints = {}
    for row in rows:
        name = row["Name"]
        total = int(row["Request Count"])
        merged = per_name.get(name, {})
        endpoints[name] = {
            "requests": total,
            "rps": round(float(row["Requests/s"]), 2),
            "error_rate": round(int(row["Failure Count"]) / total, 4) if total else 0.0,
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
            "p99_ms": float(row["99%"]),
            "status": dict(sorted(merged.items())),
        }
    codes = endpoints.get("Aggregated", {}).get("status", {})
    # The locustfile counts every answer, those that came in while locust stopped included.
    total = sum(codes.values())
    server_errors = sum(n for c, n in codes.items() if c.startswith("5"))
    throttled = codes.get("429", 0)
    no_response = codes.get("0", 0)
    # Any other failure (a 4xx, an answer by the wrong adapter) means the scenario is broken.
    other_failures = sum(
        n for c, n in codes.items() if not c.startswith(("2", "5")) and c not in ("0", "429")
    )
    checked = sum(int(row["Failure Count"]) for row in rows if row["Name"] == "Aggregated")
    return {
        "users": args.users,
        "duration_s": args.duration,
        "requests": total,
        "server_errors": server_errors,
        "no_response": no_response,
        "throttled_rate": round(throttled / total, 4) if total else 0.0,
        "other_failures": other_failures,
        "passed": bool(total)
        and server_errors == 0
        and no_response == 0
        and other_failures == 0
        and checked <= server_errors + throttled + no_response
        and (throttled / total if total else 1) <= MAX_429_RATE,
        "load_average_1_5_15min_at_end": [round(x, 2) for x in load],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "endpoints": endpoints,
    }


def print_table(result: dict) -> None:
    print(
        f"\n{'endpoint':86} {'req':>6} {'req/s':>7} {'errors':>7} "
        f"{'p50':>7} {'p95':>7} {'p99':>7}  status"
    )
    for name, e in result["endpoints"].items():
        print(
            f"{name:86} {e['requests']:>6} {e['rps']:>7.2f} {e['error_rate']:>7.2%} "
            f"{e['p50_ms']:>7.0f} {e['p95_ms']:>7.0f} {e['p99_ms']:>7.0f}  {e['status']}"
        )
    print(
        f"\n5xx: {result['server_errors']}, no response: {result['no_response']}, "
        f"other failures: {result['other_failures']}, "
        f"429 rate: {result['throttled_rate']:.2%}, load average (1, 5, 15 min) at the end: "
        f"{result['load_average_1_5_15min_at_end']} -> {'PASSED' if result['passed'] else 'FAILED'}"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    setup_django()
    from .parts import parts

    known = parts()
    selected = [p for p in (args.parts.split(",") if args.parts else known) if p]
    unknown = sorted(set(selected) - set(known))
    if unknown:
        sys.exit(f"unknown parts {unknown}; known: {sorted(known)}")
    out = args.out or ROOT / "var" / "loadtest" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    migrate()
    processes, port = start_platform(out)
    api_key = None
    try:
        scenario, api_key = prepare(selected)
        (out / "scenario.json").write_text(json.dumps(scenario))
        print(
            f"load: {args.users} users for {args.duration} s on :{port}; logs in {out}", flush=True
        )
        started = time.monotonic()
        code = run_locust(args, out, port)
        load = os.getloadavg()
        if code != 0 or not (out / "locust_stats.csv").exists():
            print((out / "locust.log").read_text()[-4000:])
            return 1
        print(f"locust ran {time.monotonic() - started:.0f} s", flush=True)
    finally:
        for process in reversed(processes):
            process.stop()
        if api_key is not None:
            from apps.accounts.services import api_key_revoke

            api_key_revoke(api_key=api_key)
    result = report(out, args, load)
    print_table(result)
    (out / "result.json").write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "endpoints"}))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
