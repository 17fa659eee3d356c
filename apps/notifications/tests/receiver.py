"""A real webhook receiver for tests: a local HTTP server in a thread that records each POST
(JSON body and headers). ``with WebhookReceiver() as hook: ... hook.url, hook.bodies``."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, path: str = "/hooks/alerts"):
        self.path = path
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                receiver.headers.append(dict(self.headers.items()))
                self.send_response(204)
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{self.path}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
