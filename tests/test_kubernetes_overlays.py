"""What the rendered overlays hold (issue 25): production has a ScaledObject per worker pool on
its queue (contract 4), a GPU request, node selector and tolerations for the GPU pool, a
NetworkPolicy for every workload, disruption budgets, the migrations Job and monitoring; dev has
none of the production-only parts. `make deploy-check` proves the objects valid; this proves
they are the right ones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

OVERLAYS = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes" / "overlays"
# Contract 4: worker pools and the Celery queues they consume.
POOLS = {
    "worker-default": ["default"],
    "worker-gpu": ["inference.chat"],
    "worker-cpu": ["inference.embed", "inference.classify"],
    "worker-training": ["training"],
}
WORKLOADS = {*POOLS, "web", "beat", "migrate"}
PRODUCTION_ONLY = {
    "ScaledObject",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ServiceMonitor",
    "PrometheusRule",
}


def render(name: str) -> list[dict]:
    output = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS / name)], capture_output=True, text=True, check=True
    ).stdout
    return [obj for obj in yaml.safe_load_all(output) if obj]


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return render("production")


@pytest.fixture(scope="module")
def dev() -> list[dict]:
    return render("dev")


def by_kind(objects, kind) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def containers(workload: dict) -> list[dict]:
    return workload["spec"]["template"]["spec"]["containers"]


def workloads(objects) -> dict[str, dict]:
    return {**by_kind(objects, "Deployment"), **by_kind(objects, "Job")}


def test_one_deployment_per_worker_pool_consuming_its_queues(production, dev):
    for objects in (production, dev):
        deployments = by_kind(objects, "Deployment")
        for pool, queues in POOLS.items():
            command = containers(deployments[pool])[0]["command"]
            assert command[:4] == ["celery", "-A", "config", "worker"]
            assert command[command.index("-Q") + 1].split(",") == queues
            # The inference and training pools serve metrics on 9100; the jobs pool serves none.
            ports = containers(deployments[pool])[0].get("ports", [])
            expected = (
                [] if pool == "worker-default" else [{"name": "metrics", "containerPort": 9100}]
            )
            assert ports == expected, pool
        assert deployments["beat"]["spec"]["replicas"] == 1
        assert deployments["beat"]["spec"]["strategy"] == {"type": "Recreate"}
        job = by_kind(objects, "Job")["migrate"]
        assert containers(job)[0]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_production_scales_each_pool_on_its_redis_queue_with_keda(production):
    scaled = by_kind(production, "ScaledObject")
    assert set(scaled) == set(POOLS)
    for pool, queues in POOLS.items():
        spec = scaled[pool]["spec"]
        assert spec["scaleTargetRef"]["name"] == pool
        assert [t["type"] for t in spec["triggers"]] == ["redis"] * len(queues)
        assert [t["metadata"]["listName"] for t in spec["triggers"]] == queues
        for trigger in spec["triggers"]:
            # The address comes from the pool's env (the Secret), never a literal.
            assert trigger["metadata"]["addressFromEnv"] == "REDIS_ADDRESS"
            assert "address" not in trigger["metadata"]
    # The GPU pool may scale to zero, but keeps one replica by default.
    assert scaled["worker-gpu"]["spec"]["minReplicaCount"] == 1
    assert scaled["worker-training"]["spec"]["minReplicaCount"] == 0


def test_production_web_has_probes_and_a_cpu_hpa_and_no_pool_has_an_hpa(production):
    web = containers(by_kind(production, "Deployment")["web"])[0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    hpas = by_kind(production, "HorizontalPodAutoscaler")
    assert set(hpas) == {"web"}
    assert hpas["web"]["spec"]["scaleTargetRef"]["name"] == "web"
    assert hpas["web"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_production_gpu_pool_requests_a_gpu_on_gpu_nodes(production):
    deployments = by_kind(production, "Deployment")
    for pool in ("worker-gpu", "worker-training"):
        spec = deployments[pool]["spec"]["template"]["spec"]
        assert containers(deployments[pool])[0]["resources"]["limits"]["nvidia.com/gpu"] == 1
        assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
            "tolerations"
        ]
    for name in ("web", "worker-cpu", "worker-default", "beat"):
        assert "nvidia.com/gpu" not in containers(deployments[name])[0]["resources"]["limits"]


def test_production_has_a_network_policy_for_every_workload(production):
    policies = by_kind(production, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    for name, workload in workloads(production).items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        own = [
            p
            for p in policies.values()
            if p["spec"]["podSelector"].get("matchLabels")
            and p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
        ]
        assert own, f"no NetworkPolicy of its own selects {name}"
    # Workers reach only DNS, PostgreSQL, Redis and the model servers.
    egress = policies["worker-gpu"]["spec"]["egress"]
    ports = sorted(p["port"] for rule in egress for p in rule["ports"])
    assert ports == [53, 53, 5432, 6379, 8000]
    assert policies["worker-gpu"]["spec"]["ingress"][0]["ports"] == [
        {"protocol": "TCP", "port": 9100}
    ]
    assert policies["worker-default"]["spec"]["ingress"] == []
    # The jobs pool also writes the audit anchors to S3 over HTTPS.
    egress = policies["worker-default"]["spec"]["egress"]
    assert sorted(p["port"] for rule in egress for p in rule["ports"]) == [
        53,
        53,
        443,
        5432,
        6379,
        8000,
    ]


def test_every_container_has_requests_and_limits_and_reads_secrets_by_reference(production, dev):
    for objects in (production, dev):
        assert not by_kind(objects, "Secret")
        for name, workload in workloads(objects).items():
            for container in containers(workload):
                resources = container["resources"]
                assert {"cpu", "memory"} <= set(resources["requests"]), name
                assert {"cpu", "memory"} <= set(resources["limits"]), name


def test_production_has_disruption_budgets_and_monitoring(production):
    budgets = by_kind(production, "PodDisruptionBudget")
    assert set(budgets) == {"web", *POOLS}
    monitor = by_kind(production, "ServiceMonitor")["platform"]["spec"]
    web_endpoint = next(e for e in monitor["endpoints"] if e["port"] == "http")
    assert web_endpoint["authorization"]["credentials"] == {
        "name": "platform-secrets",
        "key": "METRICS_BEARER_TOKEN",
    }
    services = by_kind(production, "Service")
    assert set(services) == {"web", *POOLS} - {"worker-default"}
    for pool in set(POOLS) - {"worker-default"}:
        assert services[pool]["spec"]["ports"] == [
            {"name": "metrics", "port": 9100, "targetPort": "metrics"}
        ]
    assert "platform-alerts" in by_kind(production, "PrometheusRule")


def test_dev_renders_with_none_of_the_production_only_parts(dev):
    kinds = {o["kind"] for o in dev}
    assert not kinds & PRODUCTION_ONLY, kinds & PRODUCTION_ONLY
    text = yaml.safe_dump_all(dev)
    assert "nvidia.com/gpu" not in text
    assert "tolerations" not in text and "nodeSelector" not in text
    for name, deployment in by_kind(dev, "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name
    # A single-node cluster brings its own PostgreSQL and Redis.
    assert {"postgres", "redis"} <= set(by_kind(dev, "Service"))
