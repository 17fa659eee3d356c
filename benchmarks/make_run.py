"""``python -m benchmarks.make_run [--mode sqlite|redis] [--starts 5]``: the first hour's
``make run`` figures (issue 18), measured the way a person meets them, in a pseudo-terminal.

Each start is a fresh ``make run`` (a new database and ``var/``; the demo tenant and key only,
``RUN_DEMO=accounts``): the time to the banner, whether ``/readyz`` answered 200 when it
appeared, the first chat request (same prompt, greedy, 32 tokens, the result cache off) and one
warm request after it, then Ctrl-C: seconds until ``make`` exited, its exit status, and whether
its output after the Ctrl-C stayed quiet. The last line is JSON with
``first_over_warm_median`` (median first request over median warm request; the bar is 1.2),
``ctrl_c_s_max`` (the bar is 5 s) and the per-start figures.

``--mode redis`` uses PostgreSQL and Redis (a database ``make_run_bench`` next to
``DATABASE_URL``'s, created by ``make run`` itself, and Redis database 8), with Celery workers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.test_make_run import BANNER, QUIET_EXIT, Terminal, free_port, get, port_open

PROMPT = {"messages": [{"role": "user", "content": "How do I return a parcel?"}]}
CHAT = {**PROMPT, "max_new_tokens": 32, "ignore_eos": True, "temperature": 0, "cache": False}


def _environment(mode: str, workdir: Path, port: int, order_port: int) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS"}
    }
    env.update(
        RUN_VAR=str(workdir / "var"),
        PORT=str(port),
        CUSTOMER_SERVICE_DEMO_ORDER_API_PORT=str(order_port),
        RUN_DEMO="accounts",
        TERM="dumb",
    )
    if mode == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{workdir}/db.sqlite3"
    else:
        base = urlsplit(os.environ["DATABASE_URL"])
        # A database of its own, new for each start: make run creates it (ensure_database).
        name = f"/make_run_bench_{os.getpid()}_{workdir.name[-6:].lower()}"
        env["DATABASE_URL"] = urlunsplit((*base[:2], name, *base[3:]))
        redis = urlsplit(os.environ["REDIS_URL"])
        env["REDIS_URL"] = urlunsplit((*redis[:2], "/8", *redis[3:]))
    return env


def _readyz(base: str) -> tuple[bool, list[str]]:
    """Whether /readyz answers 200, and else which of its checks failed."""
    try:
        return get(f"{base}/readyz")[0] == 200, []
    except urllib.error.HTTPError as exc:
        checks = json.loads(exc.read() or b"{}").get("checks", {})
        return False, sorted(name for name, check in checks.items() if not check.get("ok", True))


def one_start(mode: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="make-run-bench-") as tmp:
        workdir = Path(tmp)
        port, order_port = free_port(), free_port()
        started = time.monotonic()
        run = Terminal(
            ["make", "--no-print-directory", "run"],
            _environment(mode, workdir, port, order_port),
        )
        try:
            run.wait_for(BANNER, timeout=900)
            banner_s = time.monotonic() - started
            base = f"http://127.0.0.1:{port}"
            ready, not_ready = _readyz(base)
            key = (workdir / "var" / "demo_api_key").read_text().strip()
            timings = []
            for _ in range(2):  # the first request after the start, then a warm one
                sent = time.monotonic()
                status, answer = get(f"{base}/api/v1/inference/chat", key, CHAT)
                assert status == 200 and answer["message"]["content"], answer
                timings.append(time.monotonic() - sent)
            stopped_from = run.wait_for("Ctrl-C stops everything.", timeout=30)
            os.write(run.fd, b"\x03")
            pressed = time.monotonic()
            while True:
                done, status = os.waitpid(run.pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() - pressed > 60:
                    raise RuntimeError("make run still running 60 s after Ctrl-C")
                time.sleep(0.02)
            ctrl_c_s = time.monotonic() - pressed
            time.sleep(0.3)
            after = run.output[stopped_from:]
            return {
                "banner_s": round(banner_s, 1),
                "readyz_200_at_banner": ready,
                "readyz_failed_checks": not_ready,
                "first_s": round(timings[0], 3),
                "warm_s": round(timings[1], 3),
                "ctrl_c_s": round(ctrl_c_s, 2),
                "exit_status": os.waitstatus_to_exitcode(status),
                "quiet": not QUIET_EXIT.search(after),
                "ports_closed": not port_open(port) and not port_open(order_port),
            }
        finally:
            run.kill_session()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("sqlite", "redis"), default="sqlite")
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args(argv)
    if args.mode == "redis" and not (
        os.environ.get("DATABASE_URL", "").startswith("postgres")
        and os.environ.get("REDIS_URL", "").startswith("redis")
    ):
        parser.error("--mode redis needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    starts = []
    for index in range(args.starts):
        result = one_start(args.mode)
        starts.append(result)
        print(f"start {index + 1}/{args.starts}: {json.dumps(result)}", file=sys.stderr)
    first = statistics.median(s["first_s"] for s in starts)
    warm = statistics.median(s["warm_s"] for s in starts)
    report = {
        "mode": args.mode,
        "starts": len(starts),
        "first_over_warm_median": round(first / warm, 3),
        "first_s_median": first,
        "warm_s_median": warm,
        "ctrl_c_s_max": max(s["ctrl_c_s"] for s in starts),
        "all_readyz_200_at_banner": all(s["readyz_200_at_banner"] for s in starts),
        "all_exit_0_quiet": all(s["exit_status"] == 0 and s["quiet"] for s in starts),
        "per_start": starts,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
