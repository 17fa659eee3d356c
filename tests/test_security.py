"""Security review, as tests: security headers and a content security policy on every kind of
page, CORS closed, secure cookies in production, and checked uploads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework import serializers

from apps.accounts.roles import Role
from apps.core.uploads import UploadField, check_upload
from tests.workers import ROOT

PAGES = [
    "/healthz",
    "/admin/login/",
    "/api/docs/",
    "/api/redoc/",
    "/api/schema/",
    "/api/v1/accounts/me/",
    "/no/such/page",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_security_headers_and_a_csp(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    # Scripts only from this origin (or with the request's nonce, added to the header when a
    # template used it); never inline or eval'd.
    assert directives["script-src"].split()[0] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in csp
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert "http" not in csp  # no CDN is allowed anywhere
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_api_docs_pages_need_no_inline_script(client):
    """Swagger UI's start-up script is a file (the split view); Redoc has none."""
    for path in ("/api/docs/", "/api/redoc/"):
        html = client.get(path).content.decode()
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag, (path, chunk[:200])


@pytest.mark.django_db
def test_cors_is_closed_to_other_origins(tenant, make_api_client):
    api = make_api_client(tenant, Role.ADMIN)
    preflight = api.options(
        "/api/v1/accounts/me/",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    simple = api.get("/api/v1/accounts/me/", HTTP_ORIGIN="https://evil.example")
    assert simple.status_code == 200
    for response in (preflight, simple):
        allowed = [h for h in response.headers if h.lower().startswith("access-control-allow")]
        assert not allowed, allowed


def test_production_cookies_are_secure_and_https_is_enforced():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k)"
        " for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        " 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SECURE_SSL_REDIRECT',"
        " 'SECURE_HSTS_SECONDS', 'DEBUG')}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "example.com",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    values = json.loads(out.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["DEBUG"] is False


# ---------------------------------------------------------------------------- uploads


def _file(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_upload_check_accepts_real_files_of_the_allowed_kinds():
    assert (
        check_upload(_file("a.csv", b"x,y\n1,2\n", "text/csv"), kinds=["csv", "parquet"]) == "csv"
    )
    parquet = b"PAR1" + b"\x00" * 20 + b"PAR1"
    assert check_upload(_file("a.parquet", parquet), kinds=["csv", "parquet"]) == "parquet"


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("a.exe", b"MZ\x90\x00", "application/octet-stream", "must end in one of"),
        ("a.csv", b"MZ\x90\x00binary", "text/csv", "NUL bytes"),
        ("a.csv", "é".encode("latin-1") + b",x\n" * 3, "text/csv", "not UTF-8"),
        ("a.csv", b"x,y\n", "image/png", "content type 'image/png'"),
        ("a.parquet", b"x,y\n1,2\n", "application/octet-stream", "does not start with"),
        ("a.csv", b"", "text/csv", "empty"),
        ("a.csv", b"x" * 101, "text/csv", "limit is 100"),
    ],
)
def test_upload_check_refuses_what_the_name_or_type_only_claims(
    name, content, content_type, message
):
    with pytest.raises(serializers.ValidationError) as refused:
        check_upload(_file(name, content, content_type), kinds=["csv", "parquet"], max_bytes=100)
    assert message in str(refused.value.detail[0])


def test_upload_field_rejects_unknown_kinds():
    with pytest.raises(ValueError, match="unknown upload kinds"):
        UploadField(kinds=["exe"])


@pytest.mark.django_db
def test_dataset_upload_endpoint_checks_type_and_size(tenant, make_api_client, settings):
    api = make_api_client(tenant, Role.ANALYST)
    schema = json.dumps({"columns": {"x": "numeric", "y": "target"}, "positive": "bad"})

    def post(name, content, content_type="application/octet-stream"):
        upload = io.BytesIO(content)
        upload.name = name
        return api.post(
            "/api/v1/risk/datasets/",
            {"name": "d", "schema": schema, "file": _file(name, content, content_type)},
            format="multipart",
        )

    refused = post("rows.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary", "text/csv")
    assert refused.status_code == 400
    assert "NUL bytes" in refused.json()["errors"]["file"][0]
    wrong_name = post("rows.exe", b"x,y\n1,good\n")
    assert wrong_name.status_code == 400 and "file" in wrong_name.json()["errors"]
    # Over the upload body limit: 413 before anything is parsed.
    settings.UPLOAD_MAX_BYTES = 1000
    too_big = post("rows.csv", b"x,y\n" + b"1,good\n" * 400)
    assert too_big.status_code == 413
    assert too_big["Content-Type"] == "application/problem+json"
