"""What the fault tests share: a private redis-server, a model server that holds requests on
command, and polling helpers. Nothing here touches the machine's shared Redis or PostgreSQL
server processes: each test starts and stops (or kills) only what it started itself."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Short enough that a test waits seconds, long enough that a loaded CI machine does not see a
# running task as abandoned (the tasks in these tests take milliseconds once unblocked).
VISIBILITY_TIMEOUT_S = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float = 60, what: str = "condition", interval=0.05):
    """Poll ``predicate`` until it returns something true; fail naming ``what`` after timeout
    (a bound against hanging, not a performance assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def worker_settings(redis_url: str, **extra) -> dict:
    """Environment for a worker of a fault test: its own Redis, a short visibility timeout with
    time limits below it (docs/architecture.md: a running task is never redelivered)."""
    env = {
        "REDIS_URL": redis_url,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_S),
        "CELERY_TASK_SOFT_TIME_LIMIT": str(VISIBILITY_TIMEOUT_S - 2),
        "CELERY_TASK_TIME_LIMIT": str(VISIBILITY_TIMEOUT_S - 1),
    }
    env.update({key: str(value) for key, value in extra.items()})
    return env


class RedisServer:
    """A redis-server of this test alone on a free port, with an append-only file synced on
    every write, as production runs it: a restart keeps queued and unacknowledged messages."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fault-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self.ping, timeout=30, what=f"redis-server on port {self.port}")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis syncs the append-only file and exits
            self.proc.wait(timeout=30)
        self.proc = None

    def restart(self, down_s: float = 1.0) -> None:
        self.stop()
        time.sleep(down_s)  # clients see refused connections for a while, as in a real restart
        self.start()


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


class HoldingModelServer:
    """An OpenAI-compatible chat and embeddings server in a thread of the test process.

    Chat answers ``"echo: <last message>"``. A prompt starting with ``hold`` waits until
    ``release()``; embeddings wait ``embed_delay_s`` and answer 3-dimensional vectors. It counts
    the requests it received (``received``) and the answers it wrote out (``answered``) per
    prompt, so a test sees a model call that ran twice.
    """

    def __init__(self, embed_delay_s: float = 0.0):
        self.embed_delay_s = embed_delay_s
        self.received: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.embedded_texts = 0
        self._released = threading.Event()
        self._embed_gate = threading.Event()
        self._embed_gate.set()
        self.embed_waiting = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.path.endswith("/embeddings"):
                    time.sleep(stub.embed_delay_s)
                    with stub._lock:
                        stub.embed_waiting += 1
                    stub._embed_gate.wait(120)
                    with stub._lock:
                        stub.embed_waiting -= 1
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    with stub._lock:
                        stub.embedded_texts += len(texts)
                    data = [
                        {"index": i, "embedding": [float(len(t)), 1.0, 0.5]}
                        for i, t in enumerate(texts)
                    ]
                    self._answer({"data": data, "usage": {"prompt_tokens": len(texts)}})
                    return
                prompt = body["messages"][-1]["content"]
                with stub._lock:
                    stub.received[prompt] += 1
                if prompt.startswith("hold"):
                    stub._released.wait(120)
                answer = {
                    "choices": [
                        {"message": {"content": f"echo: {prompt}"}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 2},
                }
                if self._answer(answer):
                    with stub._lock:
                        stub.answered[prompt] += 1

            def _answer(self, answer: dict) -> bool:
                data = json.dumps(answer).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return True
                except OSError:  # the worker that asked was killed meanwhile
                    return False

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def release(self) -> None:
        self._released.set()

    def hold_embeddings(self, hold: bool = True) -> None:
        """Make embedding requests wait (True) until called with False."""
        if hold:
            self._embed_gate.clear()
        else:
            self._embed_gate.set()

    def received_matching(self, prefix: str) -> int:
        with self._lock:
            return sum(n for prompt, n in self.received.items() if prompt.startswith(prefix))

    def spec(self, task: str = "chat", **extra) -> dict:
        return {"task": task, "backend": "openai", "base_url": self.base_url, "api_model": "stub",
                **extra}  # fmt: skip

    def __enter__(self) -> HoldingModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.hold_embeddings(False)
        self.server.shutdown()
        self.server.server_close()
