"""Every metric that the provisioned Grafana dashboard queries is exported by the platform: in
the live /metrics of the web process or in the metrics endpoint of a real inference worker,
after a little real traffic (an embedding through the worker, a request refused by
backpressure)."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path

import pytest

from apps.accounts.roles import Role
from config.celery import app as celery_app
from tests.workers import celery_worker, real_broker

DASHBOARDS = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards"
# Set only in a process that uses CUDA: declared (HELP/TYPE) on a CPU worker, without samples.
CUDA_ONLY = {"models_runtime_gpu_memory_bytes"}
# Read through NVIDIA's management library, exported only where it finds a GPU (not even
# declared elsewhere): required only on a machine with an NVIDIA device.
NVML_ONLY = {
    "models_runtime_gpu_utilization_ratio",
    "models_runtime_gpu_memory_used_bytes",
    "models_runtime_gpu_memory_total_bytes",
}
# Observed only by generation (chat) requests (models_runtime.metrics.observe_generation): the
# embedding below leaves them declared, without samples.
GENERATION_ONLY = {
    "models_runtime_time_to_first_token_seconds_bucket",
    "models_runtime_inter_token_latency_seconds_bucket",
    "models_runtime_e2e_request_latency_seconds_bucket",
}
# Series that Prometheus itself makes: scrape health and the states of the alert rules.
PROMETHEUS_SERIES = {"up", "ALERTS"}


def dashboard_metrics() -> set[str]:
    """Metric names in the PromQL of every panel: the identifiers used as series selectors
    (followed by a label matcher, a range or a closing parenthesis), label lists of
    ``by (...)`` removed first."""
    names = set()
    for path in DASHBOARDS.glob("*.json"):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", target["expr"])
                expr = re.sub(r'"[^"]*"', '""', expr)
                for name in re.findall(
                    r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^}]*\})?\s*[\[)]", expr
                ):
                    names.add(name)
    return names


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sampled(text: str, name: str) -> bool:
    return re.search(rf"^{re.escape(name)}(?:\{{| )", text, re.M) is not None


def _declared(text: str, name: str) -> bool:
    return re.search(rf"^# TYPE {re.escape(name)} ", text, re.M) is not None


def test_the_dashboard_parses_to_known_metrics():
    names = dashboard_metrics()
    assert "models_runtime_requests_total" in names
    assert "models_runtime_queue_seconds_bucket" in names
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names
    assert not names & {"sum", "rate", "model", "le", "status", "histogram_quantile"}, names
    # The serving panels and the alert states (deploy/prometheus/rules.yml) of issue 25.
    assert {
        "models_runtime_broker_queue_length",
        "models_runtime_time_to_first_token_seconds_bucket",
        "models_runtime_e2e_request_latency_seconds_bucket",
        "models_runtime_gpu_memory_total_bytes",
        "platform_audit_verification_failures",
        "platform_risk_drift_alerts_open",
        "ALERTS",
        "up",
    } <= names


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_every_dashboard_metric_is_exported(tenant, make_api_client, client, settings):
    api = make_api_client(tenant, Role.AGENT)
    port = _free_port()
    with (
        celery_worker(
            "inference", pool="threads", concurrency=4, MODELS_RUNTIME_METRICS_PORT=str(port)
        ),
        real_broker(celery_app),
    ):
        response = api.post(
            "/api/v1/inference/embed", {"texts": ["where is my parcel?"]}, format="json"
        )
        assert response.status_code == 200, response.content
        settings.INFERENCE_MAX_QUEUED = 0  # every request now finds the queue "full"
        refused = api.post(
            "/api/v1/inference/embed", {"texts": ["another one"], "cache": False}, format="json"
        )
        assert refused.status_code == 429, refused.content
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            worker_text = reply.read().decode()
    web_text = client.get("/metrics").content.decode()

    missing, undeclared = [], []
    for name in sorted(dashboard_metrics() - PROMETHEUS_SERIES):
        if any(_sampled(text, name) for text in (web_text, worker_text)):
            continue
        if name in CUDA_ONLY and _declared(worker_text, name):
            continue
        if name in GENERATION_ONLY and _declared(worker_text, name.removesuffix("_bucket")):
            continue
        if name in NVML_ONLY and not Path("/dev/nvidia0").exists():
            continue
        (
            undeclared
            if not any(
                _declared(t, name.removesuffix("_total").removesuffix("_bucket"))
                for t in (web_text, worker_text)
            )
            else missing
        ).append(name)
    assert not missing and not undeclared, {"no samples": missing, "not exported": undeclared}
    # The database-read platform gauges are the web's alone: the worker dropped them at start.
    assert _sampled(web_text, "platform_audit_verification_failures")
    assert not _declared(worker_text, "platform_audit_verification_failures")
