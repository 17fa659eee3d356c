"""The import contracts of pyproject.toml hold, and each of them can fail.

``lint-imports`` must pass on the repository. For every contract a module with a forbidden import
is planted in a package the contract covers (a file created for the test and removed after it),
and ``lint-imports`` must report that module: a contract that cannot fail checks nothing. The
packages to plant in are read from the contracts themselves, so this file names no vertical.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONTRACTS = {c["id"]: c for c in PYPROJECT["tool"]["importlinter"]["contracts"]}


def lint_imports(*contract_ids: str) -> subprocess.CompletedProcess:
    """Run lint-imports from the repository root (so that its packages shadow any installed
    package of the same name), without its cache: a planted module must be seen."""
    args = [str(LINT_IMPORTS), "--no-cache"]
    for contract_id in contract_ids:
        args += ["--contract", contract_id]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


@contextmanager
def planted(package: str, source: str):
    """A module ``<package>.planted_<random>`` holding ``source``, removed afterwards."""
    folder = ROOT.joinpath(*package.split("."))
    assert (folder / "__init__.py").is_file(), f"{package} is not a package of this repository"
    name = f"planted_{uuid.uuid4().hex[:12]}"
    path = folder / f"{name}.py"
    path.write_text(f'"""Planted by tests/test_import_contracts.py."""\n\n{source}\n')
    try:
        yield f"{package}.{name}"
    finally:
        path.unlink()


def layer_packages(layer: str) -> list[str]:
    return [name.strip().strip("()") for name in layer.split("|")]


def contract_layers() -> list[list[str]]:
    return [layer_packages(layer) for layer in CONTRACTS["layers"]["layers"]]


def test_the_repository_keeps_every_contract():
    run = lint_imports()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert f"{len(CONTRACTS)} kept, 0 broken" in run.stdout


def test_the_layers_name_every_package_of_the_architecture():
    """Every package of the issue's list is a layer."""
    named = {package for layer in contract_layers() for package in layer}
    foundation = {
        "apps.operations",
        "knowledge",
        "models_runtime",
        "apps.registry",
        "apps.jobs",
        "apps.approvals",
        "apps.notifications",
        "apps.surface",
        "apps.accounts",
        "apps.audit",
        "apps.privacy",
        "apps.core",
    }
    assert foundation <= named
    # The top layer holds the verticals, which the ML-core contract's engines belong to.
    engines = {m.rsplit(".", 1)[0] for m in CONTRACTS["ml-cores"]["source_modules"]}
    assert engines - {"knowledge"} <= set(contract_layers()[0])


def test_a_lower_layer_importing_a_higher_one_is_reported():
    lowest, higher = contract_layers()[-1][0], contract_layers()[-4][0]
    with planted(lowest, f"import {higher}  # noqa: F401") as module:
        run = lint_imports("layers")
    assert run.returncode != 0
    assert f"{lowest} is not allowed to import {higher}" in run.stdout
    assert module in run.stdout


def test_siblings_of_one_layer_importing_each_other_is_reported():
    first, second = contract_layers()[0][:2]
    with planted(first, f"import {second}  # noqa: F401") as module:
        run = lint_imports("layers")
    assert f"{first} is not allowed to import {second}" in run.stdout
    assert module in run.stdout


def test_importing_config_is_reported():
    with planted("apps.core", "import config.celery  # noqa: F401") as module:
        run = lint_imports("config")
    assert run.returncode != 0
    assert module in run.stdout


def test_an_ml_core_importing_django_is_reported_for_every_core():
    """Directly (django, rest_framework) and through a module of ours that imports Django."""
    cores = CONTRACTS["ml-cores"]["source_modules"]
    imports = ["import django.db  # noqa: F401", "import rest_framework  # noqa: F401"]
    with ExitStack() as stack:
        modules = [
            stack.enter_context(planted(core, imports[i % 2])) for i, core in enumerate(cores)
        ]
        run = lint_imports("ml-cores")
    assert run.returncode != 0
    for module in modules:
        assert module in run.stdout, module
    with planted(cores[0], "import apps.accounts.models  # noqa: F401") as module:
        run = lint_imports("ml-cores")
    assert re.search(rf"{re.escape(module)} -> apps\.accounts\.models", run.stdout)


def test_the_product_importing_benchmarks_is_reported():
    with planted("apps.core", "import benchmarks  # noqa: F401") as module:
        run = lint_imports("benchmarks")
    assert run.returncode != 0
    assert module in run.stdout


@pytest.mark.parametrize("root", ["apps", "knowledge", "models_runtime", "config"])
def test_only_bench_commands_import_benchmarks(root):
    """The benchmarks contract lets every management command through (an import-linter
    wildcard replaces whole module names), so the bench_* rule is checked here."""
    graph = grimp.build_graph(root, "benchmarks", cache_dir=None)
    importers = {
        importer
        for imported in graph.modules
        if imported.split(".")[0] == "benchmarks"
        for importer in graph.find_modules_that_directly_import(imported)
        if importer.split(".")[0] == root and ".tests" not in importer
    }
    offenders = {m for m in importers if not re.search(r"\.management\.commands\.bench_\w+$", m)}
    assert not offenders


def test_the_architecture_diagram_lists_the_contract_layers():
    """docs/architecture.md draws the layers by hand; the contract is what is checked, so the
    drawing must say the same, layer for layer."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    block = re.search(r"## The layers.*?```text\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md has no layer diagram"
    drawn = [re.split(r"(?<=\S) {2,}", line)[0] for line in block.group(1).splitlines()]
    assert [layer_packages(line) for line in drawn] == contract_layers()
    assert [line.count("(") for line in drawn] == [
        layer.count("(") for layer in CONTRACTS["layers"]["layers"]
    ]
