"""RFC 3161 time-stamps of anchor records against a real, local time-stamping authority:
OpenSSL's own TSA (``openssl ts -reply``) behind a small HTTP server, with a TSA certificate
made in the test. Every anchor carries a token that verifies; a token of another TSA, a
token moved to another record, a stripped token (when required) and a TSA that does not
answer are each told apart."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.core.management import call_command

from apps.audit.anchors.checks import TIMESTAMP_INVALID, anchors_check
from apps.audit.anchors.store import anchor_store
from apps.audit.anchors.timestamps import record_imprint, timestamp_token_check
from apps.audit.models import chain_key
from apps.audit.services import audit_checkpoint_create, audit_event_record

pytestmark = pytest.mark.django_db
OPENSSL = shutil.which("openssl")

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _tsa_files(folder: Path, name: str) -> Path:
    """A TSA key and self-signed certificate (extended key usage: time stamping, critical)."""
    folder.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))
    return folder


def _serve(folder: Path):
    """An HTTP TSA: each POSTed TimeStampReq answered by ``openssl ts -reply``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "q.tsq").write_bytes(query)
                subprocess.run(
                    [OPENSSL, "ts", "-reply", "-config", str(folder / "tsa.cnf")]
                    + ["-queryfile", f"{tmp}/q.tsq", "-out", f"{tmp}/r.tsr"],
                    check=True,
                    capture_output=True,
                )
                reply = (Path(tmp) / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def tsa(settings, tmp_path):
    if OPENSSL is None:
        pytest.fail("openssl (the local TSA) is not installed")
    ours, other = _tsa_files(tmp_path / "tsa", "audit TSA"), _tsa_files(tmp_path / "other", "x")
    servers = [_serve(ours), _serve(other)]
    settings.AUDIT_ANCHOR_URL = f"file://{tmp_path / 'anchors'}"
    settings.AUDIT_TSA_URL = f"http://127.0.0.1:{servers[0].server_port}/"
    settings.AUDIT_TSA_CERT = str(ours / "tsa.pem")
    yield {"other_url": f"http://127.0.0.1:{servers[1].server_port}/", "anchors": tmp_path}
    for server in servers:
        server.shutdown()
        server.server_close()


def _anchor(tenant, n=2):
    for i in range(n):
        audit_event_record(tenant=tenant, action="test.event", resource_id=str(i))
    audit_checkpoint_create()


def _verify_anchors() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", "--anchors-only", stdout=out, stderr=err)
    except SystemExit as exit_info:
        return exit_info.code, err.getvalue()
    return 0, out.getvalue()


def _rewrite(path: Path, change) -> None:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps(r) + "\n" for r in change(lines)))


def test_every_anchor_carries_a_token_that_verifies(tsa, tenant, settings):
    _anchor(tenant)
    _anchor(tenant)
    records = anchor_store().records(chain_key(tenant.pk))
    assert len(records) == 2 and all(r.data.get("tst") for r in records)
    token = base64.b64decode(records[0].data["tst"])
    cert = x509.load_pem_x509_certificate(Path(settings.AUDIT_TSA_CERT).read_bytes())
    stamped = timestamp_token_check(token, record_imprint(records[0].data), cert)
    gen_time = dt.datetime.fromisoformat(stamped)
    assert abs((gen_time - dt.datetime.fromisoformat(records[0].time)).total_seconds()) < 60
    assert _verify_anchors()[0] == 0


def test_a_token_of_another_tsa_or_of_another_record_is_caught(tsa, tenant, settings):
    _anchor(tenant)
    settings.AUDIT_TSA_URL = tsa["other_url"]  # a TSA we do not trust signs the second anchor
    _anchor(tenant)
    problems = anchors_check(anchor_store()).problems
    assert [(kind, seq) for kind, _, seq, _ in problems] == [(TIMESTAMP_INVALID, 4)]
    assert "does not verify under the TSA's key" in problems[0][3]

    path = next((tsa["anchors"] / "anchors" / "chains").glob("*/*.jsonl"))

    def swap(records):  # the first record's token moved onto the second
        records[1]["tst"] = records[0]["tst"]
        return records

    _rewrite(path, swap)
    code, err = _verify_anchors()
    assert code == 1 and TIMESTAMP_INVALID in err and "imprint differs" in err


def test_a_stripped_token_fails_only_when_required_and_a_dead_tsa_never_blocks(
    tsa, tenant, settings
):
    settings.AUDIT_TSA_URL = "http://127.0.0.1:9/"  # nothing listens: the anchor is written
    _anchor(tenant)
    records = anchor_store().records(chain_key(tenant.pk))
    assert len(records) == 1 and "tst" not in records[0].data
    assert _verify_anchors()[0] == 0
    settings.AUDIT_TSA_REQUIRED = True
    code, err = _verify_anchors()
    assert code == 1 and "has no RFC 3161 time-stamp" in err
