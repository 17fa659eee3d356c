"""Concurrent HTTP clients against the platform's inference API.

Each client is a thread with its own keep-alive connection; all start together at a barrier and
send ``rounds`` requests one after another, each with inputs no other request carries. The first
failure stops every client after its current request, and the measure reports it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from benchmarks.inference.workloads import Inputs, Workload

STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass
class LoadResult:
    """What the clients saw: per-request latency, units, batch sizes and any failures."""

    clients: int
    wall_s: float = 0.0
    units: int = 0
    latencies_s: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    compute_ms: list[float] = field(default_factory=list)
    short_outputs: int = 0  # chat answers with fewer tokens than asked for
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_s)


def request_body(workload: Workload, texts: list[str], new_tokens: int) -> dict:
    if workload.is_chat:
        return {
            "model": workload.model,
            "messages": [{"role": "user", "content": texts[0]}],
            "max_new_tokens": new_tokens,
            "temperature": 0,
            "ignore_eos": True,
            "cache": False,
        }
    return {"model": workload.model, "texts": texts, "cache": False}


class _Client:
    def __init__(self, port: int, token: str, timeout_s: float):
        self.port, self.timeout_s = port, timeout_s
        self.headers = {
            "Authorization": f"Api-Key {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.conn: http.client.HTTPConnection | None = None
        self.used = False

    def post(self, path: str, body: bytes) -> tuple[int, dict, bytes, float]:
        """(status, headers, body, seconds); a keep-alive connection the server closed while
        idle is reopened once (the request never reached the application)."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout_s
                )
                self.used = False
            started = time.perf_counter()
            try:
                self.conn.request("POST", path, body=body, headers=self.headers)
                response = self.conn.getresponse()
                data = response.read()
            except STALE_CONNECTION:
                self.close()
                if attempt == 2 or not self.used:
                    raise
                continue
            self.used = True
            return response.status, dict(response.getheaders()), data, time.perf_counter() - started
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def run_load(
    *,
    port: int,
    token: str,
    workload: Workload,
    inputs: Inputs,
    phase: str,
    rounds: int,
    new_tokens: int,
    clients: int | None = None,
    timeout_s: float = 900,
) -> LoadResult:
    """``clients`` (default: the workload's) threads each send ``rounds`` requests."""
    count = clients or workload.clients
    result = LoadResult(clients=count)
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(count + 1)
    finished = [0.0] * count

    def fail(message: str) -> None:
        with lock:
            result.errors.append(message)
        stop.set()

    def client(index: int) -> None:
        http_client = _Client(port, token, timeout_s)
        try:
            barrier.wait(timeout=120)
            for round_ in range(rounds):
                if stop.is_set():
                    return
                texts = inputs.texts(workload, phase, round_, index)
                body = json.dumps(request_body(workload, texts, new_tokens)).encode()
                status, headers, data, seconds = http_client.post(workload.path, body)
                if status != 200:
                    retry = headers.get("Retry-After")
                    fail(
                        f"{workload.path} answered {status}"
                        + (f" (Retry-After {retry})" if retry else "")
                        + f": {data[:300].decode(errors='replace')}"
                    )
                    return
                record(json.loads(data), len(texts), seconds)
        except Exception as exc:  # noqa: BLE001 - any client failure fails the measure
            fail(f"client {index}: {type(exc).__name__}: {exc}")
        finally:
            finished[index] = time.perf_counter()
            http_client.close()

    def record(payload: dict, text_count: int, seconds: float) -> None:
        timings = payload["timings"]
        if workload.is_chat:
            units = int(payload["usage"]["tokens_out"])
            short = units < new_tokens
        else:
            units = len(payload["embeddings"])
            if units != text_count:
                raise ValueError(f"{units} embeddings for {text_count} texts")
            short = False
        with lock:
            result.units += units
            result.short_outputs += short
            result.latencies_s.append(seconds)
            result.batch_sizes.append(int(timings["batch_size"]))
            result.queue_ms.append(float(timings.get("queue_ms") or 0))
            result.compute_ms.append(float(timings.get("compute_ms") or 0))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall_s = max(finished) - started
    return result
