"""The second demo tenant's own order system: a small HTTP API (standard library only) that the
HTTP connector calls, started by ``make run`` (``python -m apps.customer_service.demo.order_api``)
and by the connector tests. Its JSON has its own shape (``{"order": {"ref", "state",
"parcel": {"tracking_code"}}}``), which the connector's mapping translates. Orders live in
memory, loaded from ``shops/books/orders.json``; a cancellation with an ``Idempotency-Key``
already seen answers as the first one did."""

from __future__ import annotations

import argparse
import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ORDERS_FILE = Path(__file__).resolve().parent / "shops" / "books" / "orders.json"
ROUTE = re.compile(r"^/api/orders/(?P<ref>[\w-]+)(?P<cancel>/cancel)?$")


class OrderStore:
    def __init__(self, rows: list[dict]):
        self.orders = {row["ref"]: copy.deepcopy(row) for row in rows}
        self.cancellations: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # method, path and headers seen (the tests read them)

    def cancel(self, ref: str, key: str) -> dict | None:
        with self.lock:
            if key and key in self.cancellations:
                return self.cancellations[key]
            order = self.orders.get(ref)
            if order is None:
                return None
            if order["state"] == "open":
                order["state"] = "cancelled"
            answer = {"order": copy.deepcopy(order)}
            if key:
                self.cancellations[key] = answer
            return answer


def handler_for(store: OrderStore):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: make run prints its own summary
            return

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            store.requests.append(
                {"method": method, "path": self.path, "headers": dict(self.headers.items())}
            )
            match = ROUTE.match(self.path)
            if match is None or (method == "POST") != bool(match["cancel"]):
                self._answer(404, {"error": "not found"})
                return
            if method == "GET":
                order = store.orders.get(match["ref"])
                answer = {"order": order} if order else None
            else:
                answer = store.cancel(match["ref"], self.headers.get("Idempotency-Key", ""))
            if answer is None:
                self._answer(404, {"error": "no such order"})
            else:
                self._answer(200, answer)

        def do_GET(self):  # noqa: N802 (the standard library's name)
            self._route("GET")

        def do_POST(self):  # noqa: N802
            self._route("POST")

    return Handler


def serve(host: str = "127.0.0.1", port: int = 0, rows: list[dict] | None = None):
    """A running server (in a daemon thread) and its store; ``server.server_port`` is the port."""
    store = OrderStore(rows if rows is not None else json.loads(ORDERS_FILE.read_text()))
    server = ThreadingHTTPServer((host, port), handler_for(store))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    store = OrderStore(json.loads(ORDERS_FILE.read_text()))
    server = ThreadingHTTPServer((args.host, args.port), handler_for(store))
    server.serve_forever()


if __name__ == "__main__":
    main()
