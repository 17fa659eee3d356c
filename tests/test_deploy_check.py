"""`make deploy-check` (deploy/check.py) passes on the repository and fails on broken copies of
it: a misspelled field, a ScaledObject whose Deployment does not exist, a workload with both an
HPA and a ScaledObject, a broken alert expression, a kind with no schema, an alert with no test
that fires it. Each broken copy is built in a temporary directory; the real kubectl, kubernetes-
validate, jsonschema and promtool do the checking."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO / "deploy" / "check.py"
PRODUCTION = Path("deploy/kubernetes/overlays/production")


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the repository's deploy/ folder, for breaking."""
    shutil.copytree(REPO / "deploy", tmp_path / "deploy", ignore=shutil.ignore_patterns("*.pyc"))
    return tmp_path


def run_check(root: Path) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, str(CHECK), "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_repository_passes(copy):
    code, output = run_check(copy)
    assert code == 0, output
    assert "deploy-check: ok (2 overlays" in output
    assert "production: 3" in output and "rules: 8 alerts" in output


def test_a_misspelled_field_fails(copy):
    edit(copy / "deploy/kubernetes/base/web.yaml", "readinessProbe:", "readynessProbe:")
    code, output = run_check(copy)
    assert code == 1, output
    # Both overlays include the web Deployment; strict validation names the unknown field.
    for overlay in ("dev", "production"):
        assert f"FAIL {overlay}: Deployment/web: spec.template.spec.containers.0" in output
    assert "'readynessProbe' was unexpected" in output


def test_a_misspelled_field_of_a_custom_resource_fails(copy):
    edit(copy / PRODUCTION / "scaledobjects.yaml", "maxReplicaCount: 4", "maxReplicas: 4")
    code, output = run_check(copy)
    assert code == 1, output
    assert "FAIL production: ScaledObject/worker-gpu: spec:" in output
    assert "'maxReplicas' was unexpected" in output


def test_a_scaledobject_pointing_at_a_missing_deployment_fails(copy):
    edit(
        copy / PRODUCTION / "scaledobjects.yaml",
        "    name: worker-gpu\n",
        "    name: worker-gpus\n",
    )
    code, output = run_check(copy)
    assert code == 1, output
    assert (
        "FAIL production: ScaledObject/worker-gpu: targets Deployment/worker-gpus, "
        "which does not exist" in output
    )


def test_a_workload_with_both_an_hpa_and_a_scaledobject_fails(copy):
    hpa = copy / PRODUCTION / "hpa.yaml"
    hpa.write_text(
        hpa.read_text()
        + """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: worker-gpu
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker-gpu}
  minReplicas: 1
  maxReplicas: 3
"""
    )
    code, output = run_check(copy)
    assert code == 1, output
    assert (
        "FAIL production: Deployment/worker-gpu: has an HPA and a ScaledObject "
        "(HorizontalPodAutoscaler/worker-gpu and ScaledObject/worker-gpu)" in output
    )


def test_a_broken_alert_expression_fails(copy):
    rules = copy / "deploy/prometheus/rules.yml"
    edit(
        rules,
        "expr: max(platform_audit_verification_failures) > 0",
        "expr: max(platform_audit_verification_failures > 0",
    )
    code, output = run_check(copy)
    assert code == 1, output
    assert "FAIL promtool check rules:" in output and "parse error" in output
    # The PrometheusRule of the production overlay no longer equals the plain rules file.
    assert "FAIL production: PrometheusRule/platform-alerts: differs from" in output


def test_a_kind_without_a_schema_fails(copy):
    kustomization = copy / PRODUCTION / "kustomization.yaml"
    edit(kustomization, "  - hpa.yaml\n", "  - hpa.yaml\n  - auth.yaml\n")
    (copy / PRODUCTION / "auth.yaml").write_text(
        """apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata:
  name: redis
spec:
  secretTargetRef:
    - {parameter: password, name: platform-secrets, key: REDIS_PASSWORD}
"""
    )
    code, output = run_check(copy)
    assert code == 1, output
    assert "FAIL production: TriggerAuthentication/redis: no schema for TriggerAuthentication" in (
        output
    )


def test_an_alert_without_a_firing_test_and_an_inlined_secret_fail(copy):
    rules = copy / "deploy/prometheus/rules.yml"
    edit(rules, "alert: PlatformRiskDriftAlertsOpen", "alert: PlatformRiskDriftAlertsOpened")
    edit(
        copy / "deploy/kubernetes/base/web.yaml",
        "            - name: POD_IP\n",
        "            - name: DJANGO_SECRET_KEY\n              value: hunter2\n"
        "            - name: POD_IP\n",
    )
    code, output = run_check(copy)
    assert code == 1, output
    assert "FAIL alert PlatformRiskDriftAlertsOpened: no promtool test case fires it" in output
    assert "Deployment/web container web: DJANGO_SECRET_KEY has a literal value" in output


def test_promtool_and_kubectl_are_the_real_tools():
    """The check shells out to these; CI installs them (.ci/run)."""
    for tool in ("kubectl", "promtool"):
        assert shutil.which(tool), f"{tool} is not installed"
    version = subprocess.run(
        ["promtool", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("promtool, version")


def test_a_name_prefix_renames_the_scaledobject_targets_only_with_the_configuration(copy):
    """kustomize's blind spot: without kustomizeconfig.yaml a namePrefix renames the Deployments
    but not the ScaledObjects' scaleTargetRef, and KEDA would scale nothing."""
    kustomization = copy / PRODUCTION / "kustomization.yaml"
    edit(kustomization, "namespace: platform\n", "namespace: platform\nnamePrefix: eu-\n")
    code, output = run_check(copy)
    assert code == 0, output
    edit(kustomization, "configurations:\n  - kustomizeconfig.yaml\n", "")
    code, output = run_check(copy)
    assert code == 1, output
    assert (
        "FAIL production: ScaledObject/eu-worker-gpu: targets Deployment/worker-gpu, "
        "which does not exist" in output
    )
