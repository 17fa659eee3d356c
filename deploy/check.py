"""`make deploy-check`: the Kubernetes manifests and alert rules, proven valid without a cluster.

1. Renders every overlay under deploy/kubernetes/overlays/ with `kubectl kustomize`.
2. Validates every rendered object offline: core kinds with kubernetes-validate (strict: an
   unknown or misspelled field fails), KEDA and prometheus-operator kinds with jsonschema against
   deploy/kubernetes/schemas/<group>/<kind>_<version>.json (made strict the same way). A kind
   with no schema fails: nothing reaches a cluster unchecked.
3. Checks what a schema cannot see: every HPA and ScaledObject targets a workload that exists,
   and no workload has both (KEDA refuses that); every container has CPU and memory requests and
   limits; no Secret is rendered and no secret-looking variable carries a literal value; every
   PodDisruptionBudget and NetworkPolicy selects a pod the overlay runs.
4. Runs `promtool check rules` and `promtool test rules` on deploy/prometheus/, requires a test
   case that fires each alert, and requires every rendered PrometheusRule to carry exactly the
   groups of deploy/prometheus/rules.yml.

Exit status 0 when all of that holds; otherwise 1, each problem on its own line and a summary
last. `--root DIR` checks another copy of the repository (the tests build broken ones);
`--write-prometheusrule` regenerates the production PrometheusRule from rules.yml.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

# The Kubernetes version the core kinds are validated against (kubectl's client here is 1.32).
KUBERNETES_VERSION = "1.32.0"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
# Environment variables that must come from a Secret (valueFrom), never a literal value.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|_KEY$|CREDENTIAL", re.I)
RULES_FILE = Path("deploy/prometheus/rules.yml")
RULE_TESTS = Path("deploy/prometheus/tests")
OVERLAYS = Path("deploy/kubernetes/overlays")
SCHEMAS = Path("deploy/kubernetes/schemas")
PROMETHEUS_RULE = OVERLAYS / "production" / "prometheusrule.yaml"
PROMETHEUS_RULE_NAME = "platform-alerts"


def render(overlay: Path) -> list[dict]:
    """The overlay's objects as `kubectl kustomize` renders them."""
    result = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"kubectl kustomize exited {result.returncode}")
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


def name_of(obj: dict) -> str:
    return f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"


def strict(schema):
    """A copy of a CRD schema in which objects with declared properties refuse any other key,
    as kubernetes-validate's strict schemas do for the core kinds."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def is_core(api_version: str) -> bool:
    """Kinds of Kubernetes itself: the core group (v1) and the *.k8s.io or dotless groups
    (apps, batch, policy, autoscaling, networking.k8s.io, ...)."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def validate_schema(obj: dict, schemas: Path) -> list[str]:
    """Problems of one object against its schema; a kind without a schema is a problem."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    if not api_version or not kind:
        return [f"{name_of(obj)}: no apiVersion or kind"]
    if is_core(api_version):
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(part) for part in exc.path) or "(top level)"
            return [f"{name_of(obj)}: {where}: {exc.message}"]
        except kubernetes_validate.SchemaNotFoundError as exc:
            return [f"{name_of(obj)}: {exc.message}"]
        return []
    group, _, version = api_version.partition("/")
    path = schemas / group / f"{kind.lower()}_{version}.json"
    if not path.exists():
        return [f"{name_of(obj)}: no schema for {kind} ({api_version}); add {path}"]
    validator = jsonschema.Draft7Validator(strict(json.loads(path.read_text())))
    return [
        f"{name_of(obj)}: {'.'.join(str(p) for p in error.absolute_path) or '(top level)'}: "
        f"{error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def pod_spec(obj: dict) -> dict | None:
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    if obj.get("kind") in WORKLOAD_KINDS:
        return spec.get("template", {}).get("spec", {})
    return None


def pod_labels(obj: dict) -> dict:
    spec = obj.get("spec", {})
    if obj.get("kind") == "CronJob":
        spec = spec.get("jobTemplate", {}).get("spec", {})
    return spec.get("template", {}).get("metadata", {}).get("labels", {}) or {}


def check_containers(objects: list[dict]) -> list[str]:
    """Requests and limits on every container; secrets referenced, never inlined."""
    problems = []
    for obj in objects:
        if obj.get("kind") == "Secret":
            problems.append(f"{name_of(obj)}: a Secret in the manifests; reference one instead")
        spec = pod_spec(obj)
        if spec is None:
            continue
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            where = f"{name_of(obj)} container {container.get('name')}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(part, {}) or {})
                if missing:
                    problems.append(f"{where}: no {part} for {', '.join(sorted(missing))}")
            for variable in container.get("env", []):
                if SECRET_NAME.search(variable.get("name", "")) and "value" in variable:
                    problems.append(
                        f"{where}: {variable['name']} has a literal value; use valueFrom a Secret"
                    )
    return problems


def check_scaling(objects: list[dict]) -> list[str]:
    """HPA and ScaledObject targets exist; no workload is scaled by both."""
    workloads = {(o.get("kind"), o["metadata"]["name"]) for o in objects if pod_spec(o) is not None}
    scalers: dict[tuple[str, str], list[str]] = {}
    problems = []
    for obj in objects:
        if obj.get("kind") not in {"HorizontalPodAutoscaler", "ScaledObject"}:
            continue
        ref = obj.get("spec", {}).get("scaleTargetRef", {})
        target = (ref.get("kind", "Deployment"), ref.get("name", ""))
        if target not in workloads:
            problems.append(
                f"{name_of(obj)}: targets {target[0]}/{target[1]}, which does not exist"
            )
        scalers.setdefault(target, []).append(name_of(obj))
    for target, names in sorted(scalers.items()):
        kinds = {name.partition("/")[0] for name in names}
        if len(names) > 1:
            both = " and ".join(names)
            reason = "an HPA and a ScaledObject" if len(kinds) > 1 else "two scalers"
            problems.append(f"{target[0]}/{target[1]}: has {reason} ({both}); KEDA refuses this")
    return problems


def check_selectors(objects: list[dict]) -> list[str]:
    """Every PodDisruptionBudget and per-workload NetworkPolicy selects a pod of the overlay."""
    templates = [pod_labels(o) for o in objects if pod_spec(o) is not None]
    problems = []
    for obj in objects:
        if obj.get("kind") == "PodDisruptionBudget":
            selector = obj.get("spec", {}).get("selector", {})
        elif obj.get("kind") == "NetworkPolicy":
            selector = obj.get("spec", {}).get("podSelector", {})
        else:
            continue
        wanted = selector.get("matchLabels", {}) or {}
        if wanted and not any(wanted.items() <= labels.items() for labels in templates):
            problems.append(f"{name_of(obj)}: selects no pod ({wanted})")
    return problems


def check_overlay(overlay: Path, schemas: Path, rule_groups: list | None) -> list[str]:
    try:
        objects = render(overlay)
    except RuntimeError as exc:
        return [f"kubectl kustomize {overlay}: {exc}"]
    problems = [p for obj in objects for p in validate_schema(obj, schemas)]
    problems += check_containers(objects) + check_scaling(objects) + check_selectors(objects)
    for obj in objects:
        if obj.get("kind") == "PrometheusRule" and rule_groups is not None:
            if obj.get("spec", {}).get("groups") != rule_groups:
                problems.append(
                    f"{name_of(obj)}: differs from {RULES_FILE}; "
                    "run python deploy/check.py --write-prometheusrule"
                )
    print(f"  {overlay.name}: {len(objects)} objects rendered and checked")
    return [f"{overlay.name}: {problem}" for problem in problems]


def promtool(*args: str, cwd: Path) -> str | None:
    """None when promtool succeeds; else its output."""
    result = subprocess.run(
        ["promtool", *args], capture_output=True, text=True, cwd=cwd, check=False
    )
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip()


def check_rules(root: Path) -> tuple[list[str], list | None]:
    """promtool on the rules and their tests; a firing test case for each alert."""
    problems = []
    rules_path = root / RULES_FILE
    try:
        groups = yaml.safe_load(rules_path.read_text())["groups"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        return [f"{RULES_FILE}: cannot be read: {exc}"], None
    output = promtool("check", "rules", str(RULES_FILE), cwd=root)
    if output:
        problems.append(f"promtool check rules: {output}")
    tests = sorted((root / RULE_TESTS).glob("*.yml"))
    if not tests:
        problems.append(f"{RULE_TESTS}: no promtool test files")
    else:
        output = promtool("test", "rules", *(str(t.relative_to(root)) for t in tests), cwd=root)
        if output:
            problems.append(f"promtool test rules: {output}")
    fired = set()
    for path in tests:
        for case in (yaml.safe_load(path.read_text()) or {}).get("tests", []):
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check.get("alertname"))
    alerts = [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]
    for alert in alerts:
        if alert not in fired:
            problems.append(f"alert {alert}: no promtool test case fires it ({RULE_TESTS})")
    print(f"  rules: {len(alerts)} alerts, promtool check and test run")
    return problems, groups


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (PromQL, descriptions) as YAML literal blocks, as a person writes them."""


_BlockDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


def write_prometheus_rule(root: Path) -> Path:
    """Regenerate the production PrometheusRule from deploy/prometheus/rules.yml."""
    groups = yaml.safe_load((root / RULES_FILE).read_text())["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": PROMETHEUS_RULE_NAME, "labels": {"release": "prometheus"}},
        "spec": {"groups": groups},
    }
    header = (
        f"# Generated from {RULES_FILE} by `python deploy/check.py --write-prometheusrule`:\n"
        "# edit the rules there; `make deploy-check` fails when this file differs from them.\n"
    )
    path = root / PROMETHEUS_RULE
    path.write_text(header + yaml.dump(rule, Dumper=_BlockDumper, sort_keys=False, width=100))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--write-prometheusrule", action="store_true")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.write_prometheusrule:
        print(f"wrote {write_prometheus_rule(root)}")
        return 0
    missing = [tool for tool in ("kubectl", "promtool") if shutil.which(tool) is None]
    if missing:
        print(
            f"deploy-check: {' and '.join(missing)} not found; install them with "
            "`apt-get install -y --no-install-recommends kubectl prometheus` (see .ci/run)"
        )
        return 1
    problems, groups = check_rules(root)
    overlays = sorted(p for p in (root / OVERLAYS).iterdir() if p.is_dir())
    if not overlays:
        problems.append(f"{OVERLAYS}: no overlays")
    for overlay in overlays:
        problems += check_overlay(overlay, root / SCHEMAS, groups)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        print(f"deploy-check: {len(problems)} problem(s); first: {problems[0][:200]}")
        return 1
    print(f"deploy-check: ok ({len(overlays)} overlays, rules and their tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
