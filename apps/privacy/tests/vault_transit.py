"""A local HTTP server speaking the part of HashiCorp Vault's transit engine that
``VaultTransitBackend`` uses, for tests (no Vault binary installs offline).

It follows Vault's HTTP API as hvac 2.3.0 calls it: ``POST /v1/<mount>/encrypt/<name>``
(``plaintext`` base64 → ``ciphertext`` ``vault:v<N>:<base64>``), ``decrypt`` (the reverse),
``rewrap`` (to the newest version, the plaintext never leaves), ``hmac`` (``input`` base64,
optional ``key_version`` → ``hmac`` ``vault:v<N>:<base64>``) and ``keys/<name>/rotate``. The
``X-Vault-Token`` header must match, else 403 ``permission denied`` as Vault answers. Each key
version is a real AES-256-GCM key held only by the server; ``min_decryption_version`` retires
old versions like Vault's key config does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class TransitKey:
    def __init__(self):
        self.versions = [os.urandom(32)]  # version N is versions[N - 1]
        self.min_decryption_version = 1

    @property
    def latest(self) -> int:
        return len(self.versions)


class VaultTransitServer:
    def __init__(self, token: str = "s.test-token", mount: str = "transit", keys=("platform",)):
        self.token = token
        self.mount = mount
        self.keys = {name: TransitKey() for name in keys}
        self.calls: Counter = Counter()  # "encrypt/platform" -> count
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def rotate(self, name: str = "platform") -> int:
        self.keys[name].versions.append(os.urandom(32))
        return self.keys[name].latest

    # --- the transit operations -------------------------------------------------------------

    def _seal(self, key: TransitKey, version: int, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(key.versions[version - 1]).encrypt(nonce, plaintext, None)
        return f"vault:v{version}:" + base64.b64encode(nonce + sealed).decode()

    def _open(self, key: TransitKey, ciphertext: str) -> bytes:
        prefix, version_text, body = ciphertext.split(":", 2)
        version = int(version_text.removeprefix("v"))
        if prefix != "vault" or not 1 <= version <= key.latest:
            raise ValueError("invalid ciphertext: wrong version")
        if version < key.min_decryption_version:
            raise ValueError("ciphertext or signature version is disallowed by policy (too old)")
        raw = base64.b64decode(body)
        try:
            return AESGCM(key.versions[version - 1]).decrypt(raw[:12], raw[12:], None)
        except InvalidTag as exc:
            raise ValueError("cipher: message authentication failed") from exc

    def operate(self, operation: str, name: str, body: dict) -> dict | None:
        key = self.keys.get(name)
        if key is None:
            raise ValueError("encryption key not found")
        if operation == "encrypt":
            version = int(body.get("key_version") or key.latest)
            plaintext = base64.b64decode(body["plaintext"])
            return {"ciphertext": self._seal(key, version, plaintext), "key_version": version}
        if operation == "decrypt":
            plaintext = self._open(key, body["ciphertext"])
            return {"plaintext": base64.b64encode(plaintext).decode()}
        if operation == "rewrap":
            plaintext = self._open(key, body["ciphertext"])
            version = int(body.get("key_version") or key.latest)
            return {"ciphertext": self._seal(key, version, plaintext), "key_version": version}
        if operation == "hmac":
            version = int(body.get("key_version") or key.latest)
            mac = hmac.new(
                key.versions[version - 1], base64.b64decode(body["input"]), hashlib.sha256
            ).digest()
            return {"hmac": f"vault:v{version}:" + base64.b64encode(mac).decode()}
        if operation == "rotate":
            self.rotate(name)
            return None
        raise LookupError(operation)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest's output clean
                pass

            def _answer(self, status: int, payload: dict | None) -> None:
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)) or "{}")
                if self.headers.get("X-Vault-Token") != server.token:
                    return self._answer(403, {"errors": ["permission denied"]})
                parts = self.path.strip("/").split("/")
                # v1/<mount>/<operation>/<name>  or  v1/<mount>/keys/<name>/rotate
                if len(parts) == 5 and parts[2] == "keys" and parts[4] == "rotate":
                    operation, name = "rotate", parts[3]
                elif len(parts) == 4 and parts[0] == "v1" and parts[1] == server.mount:
                    operation, name = parts[2], parts[3]
                else:
                    return self._answer(404, {"errors": [f"no handler for route {self.path!r}"]})
                server.calls[f"{operation}/{name}"] += 1
                try:
                    data = server.operate(operation, name, body)
                except LookupError:
                    return self._answer(404, {"errors": ["unsupported path"]})
                except (ValueError, KeyError) as exc:
                    return self._answer(400, {"errors": [str(exc) or "invalid request"]})
                if data is None:
                    return self._answer(204, None)
                return self._answer(200, {"data": data})

        return Handler
