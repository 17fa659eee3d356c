"""The README is a quickstart that fits a screen, the rest lives in docs/, and nothing in the
repository points at a file outside it."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

# Files that are not in the repository: a pointer to one sends a reader nowhere.
OUTSIDE = re.compile(r"ARCHITECTURE\.md|TOOLCHAIN\.md|\.\./shared|/work/|shared folder")
# requirements.txt's bytes are the Makefile's install stamp (docs/toolchain.md is its pointer).
NOT_CHECKED = {"requirements.txt", "tests/test_docs.py"}


def test_readme_is_a_quickstart_that_fits_a_screen_or_two():
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "make run" in quickstart and "make test" in quickstart
    for url in ("/admin/", "/ops/", "/customer-service/chat/", "/api/docs/", "/readyz"):
        assert url in quickstart, url
    assert "demo-password-2026" in quickstart and "demo-admin" in quickstart
    for endpoint in ("customer-service/conversations", "medical/notes/fhir", "risk/decisions"):
        assert endpoint in quickstart, endpoint
    assert "tenant_create" in quickstart
    assert len(README.splitlines()) <= 100, "the README is a quickstart; the rest goes to docs/"


def test_every_document_the_readme_links_exists():
    linked = re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)\)", README)
    assert {"docs/operations.md", "docs/architecture.md", "docs/security.md"} <= set(linked)
    assert {"docs/performance.md", "docs/toolchain.md", "docs/customer-service.md"} <= set(linked)
    assert {"docs/medical-records.md", "docs/financial-risk.md"} <= set(linked)
    assert [path for path in linked if not (ROOT / path).is_file()] == []


def test_nothing_in_the_repository_points_outside_it():
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if name in NOT_CHECKED or path.suffix not in {".py", ".md", ".txt", ".sh", ""}:
            continue
        if not path.is_file() or path.is_symlink():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert offenders == []


def test_the_api_carries_its_version_and_the_changelog_says_where():
    """A REST client reads the API's version in the OpenAPI document (``info.version``), and the
    CHANGELOG (Keep a Changelog style) lists what it must act on, newest first."""
    from drf_spectacular.generators import SchemaGenerator

    version = SchemaGenerator().get_schema(request=None, public=True)["info"]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog")
    assert "info.version" in changelog and "Keep a Changelog" in changelog
    assert re.search(r"^## (Unreleased|\d+\.\d+\.\d+)", changelog, re.M)
