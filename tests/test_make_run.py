"""`make run` as a person runs it, in a terminal (a pseudo-terminal here), in the zero-setup mode
(SQLite, in-process tasks): the banner comes only once ``/readyz`` answers 200 and the default
models are loaded, and one Ctrl-C ends every process it started within 5 s, quietly, with exit
status 0 (no "Worker was sent SIGKILL", no make "Error" or "Interrupt").

One start of the real script on a fresh SQLite database, with the demo tenant but without the
verticals' demo data (``RUN_DEMO=accounts``), which would add minutes."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BANNER = "Vertical AI platform is running"
QUIET_EXIT = re.compile(r"SIGKILL|Error \d|Interrupt|Traceback|Terminated|Killed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Terminal:
    """A child on a pseudo-terminal, its output collected by a thread."""

    def __init__(self, argv: list[str], env: dict):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session of its own with the terminal as its controller
            os.chdir(ROOT)
            os.execvpe(argv[0], argv, env)
        self.output = ""
        self.lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.output += chunk.decode(errors="replace")

    def wait_for(self, text: str, timeout: float) -> int:
        """The position just after ``text`` in the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                at = self.output.find(text)
            if at >= 0:
                return at + len(text)
            if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                pytest.fail(f"make run ended before {text!r}:\n{self.output[-3000:]}")
            time.sleep(0.1)
        pytest.fail(f"no {text!r} within {timeout:.0f} s:\n{self.output[-3000:]}")

    def kill_session(self):
        """Whatever is left of the run (the test failed): every process of its session."""
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if os.getsid(int(proc.name)) == self.pid:
                        os.kill(int(proc.name), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def get(url: str, key: str | None = None, body: dict | None = None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None)
    if key:
        request.add_header("Authorization", f"Api-Key {key}")
    if body:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.loads(response.read())


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_banner_after_ready_and_warm_then_ctrl_c_exits_0_quietly(tmp_path):
    port, order_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS"}
        and not key.startswith("PYTEST")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        RUN_VAR=str(tmp_path / "var"),
        PORT=str(port),
        CUSTOMER_SERVICE_DEMO_ORDER_API_PORT=str(order_port),
        WEB_WORKERS="1",
        RUN_DEMO="accounts",  # the demo tenant and key, not the verticals' data (minutes)
        TERM="dumb",
    )
    run = Terminal(["make", "--no-print-directory", "run"], env)
    try:
        banner_at = run.wait_for(BANNER, timeout=900)
        base = f"http://127.0.0.1:{port}"
        # The banner came after readiness and after the warm-up, not before.
        assert get(f"{base}/readyz")[0] == 200
        assert "models warm in" in run.output[:banner_at]
        # Audit anchors go to a file:// store outside the database, under the run's var/.
        assert (tmp_path / "var" / "audit-anchors").is_dir()
        key = (tmp_path / "var" / "demo_api_key").read_text().strip()
        models = {m["name"]: m for m in get(f"{base}/api/v1/models/", key)[1]["results"]}
        assert models["chat"]["loaded"] and models["embed"]["loaded"], models
        chat = {"messages": [{"role": "user", "content": "How do I return a parcel?"}]}
        status, answer = get(f"{base}/api/v1/inference/chat", key, {**chat, "max_new_tokens": 8})
        assert status == 200 and answer["message"]["content"]
        stopped_from = run.wait_for("Ctrl-C stops everything.", timeout=30)

        os.write(run.fd, b"\x03")  # what the terminal sends for Ctrl-C
        started = time.monotonic()
        while True:
            done, status = os.waitpid(run.pid, os.WNOHANG)
            if done:
                break
            # The 5 s is measured on a quiet machine (docs/operations.md); the test only
            # needs to tell "stops" from the old 30 s SIGKILL path on a loaded CI machine.
            assert time.monotonic() - started < 15, f"15 s after Ctrl-C:\n{run.output[-2000:]}"
            time.sleep(0.05)
        time.sleep(0.3)  # the last output
        after = run.output[stopped_from:]
        assert os.waitstatus_to_exitcode(status) == 0, after
        assert not QUIET_EXIT.search(after), after
        assert "Stopped." in after
        assert not port_open(port) and not port_open(order_port)
    finally:
        run.kill_session()
