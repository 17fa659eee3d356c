"""Dependency vulnerability check for CI: pip-audit over the installed environment.

Fails on any known vulnerability that `.ci/pip-audit-ignore.txt` does not list with a reason.
pip-audit asks PyPI's JSON API per release; where that cannot answer (no network, a mirror
without the per-release endpoint) every package is reported as skipped: this script then says
so loudly and passes, because CI must not fail on the network, and the README tells operators
to run it where PyPI (or OSV: PIP_AUDIT_SERVICE=osv) is reachable. It never hangs CI: pip-audit
runs under a time limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE_FILE = ROOT / ".ci" / "pip-audit-ignore.txt"
TIMEOUT_S = int(os.environ.get("PIP_AUDIT_TIMEOUT_S", "300"))


def ignored() -> dict[str, str]:
    """``ID  reason`` per line; a line without a reason is an error (each must be justified)."""
    entries = {}
    for number, line in enumerate(IGNORE_FILE.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition(" ")
        if not reason.strip():
            sys.exit(f"{IGNORE_FILE.name}:{number}: {vuln_id} needs a reason")
        entries[vuln_id] = reason.strip()
    return entries


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    service = os.environ.get("PIP_AUDIT_SERVICE", "pypi")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [
            str(pip_audit), "--local", "--progress-spinner", "off", "--vulnerability-service",
            service, "--format", "json", "--output", str(report),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"pip-audit: WARNING: no answer within {TIMEOUT_S}s; not audited", flush=True)
            return 0
        if not report.exists():
            print(done.stdout[-2000:], done.stderr[-2000:])
            print("pip-audit: WARNING: it produced no report (vulnerability service unreachable?)")
            return 0
        dependencies = json.loads(report.read_text())["dependencies"]
    allowed = ignored()
    audited = [d for d in dependencies if "skip_reason" not in d]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    open_findings = [
        (name, version, vuln)
        for name, version, vuln in found
        if vuln["id"] not in allowed and not set(vuln.get("aliases", [])) & set(allowed)
    ]
    for name, version, vuln in found:
        status = "OPEN" if (name, version, vuln) in open_findings else "ignored"
        fixes = ", ".join(vuln.get("fix_versions", [])) or "none"
        print(f"pip-audit: {status} {vuln['id']} {name} {version} (fixed in {fixes})")
    print(
        f"pip-audit: {len(audited)} of {len(dependencies)} packages audited against {service}, "
        f"{len(found)} known vulnerabilities, {len(open_findings)} not documented as ignored"
    )
    if not audited:
        print("pip-audit: WARNING: the vulnerability service answered for no package here")
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main())
