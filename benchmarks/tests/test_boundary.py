"""The product does not import the benchmark harness: only the ``bench_*`` management commands
do (tests may). import-linter checks the same in CI; this test says which module broke it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("apps", "config", "knowledge", "models_runtime")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports, at any depth (functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def is_bench_command(path: Path) -> bool:
    return path.parent.name == "commands" and path.name.startswith("bench_")


def is_test(path: Path, root: Path) -> bool:
    return "tests" in path.relative_to(root).parts or path.name.startswith("test_")


def product_modules_importing_benchmarks(root: Path = REPO) -> list[str]:
    found = []
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            if is_test(path, root) or is_bench_command(path):
                continue
            names = imported_modules(path)
            if any(n == "benchmarks" or n.startswith("benchmarks.") for n in names):
                found.append(str(path.relative_to(root)))
    return found


def test_only_the_bench_commands_import_benchmarks():
    assert product_modules_importing_benchmarks() == []


def test_every_bench_command_imports_the_harness():
    commands = [
        path
        for package in PRODUCT
        for path in (REPO / package).rglob("management/commands/bench_*.py")
    ]
    assert len(commands) == 7, commands
    for path in commands:
        imported = imported_modules(path)
        assert any(n.startswith("benchmarks.") for n in imported), path


def test_the_check_sees_a_planted_import_and_spares_commands_and_tests(tmp_path):
    def plant(relative: str, source: str) -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)

    plant("apps/example/management/commands/bench_example.py", "import benchmarks.audit\n")
    plant("apps/example/tests/test_bench.py", "from benchmarks.harness import smoke\n")
    plant("apps/example/services.py", "import json\n")
    assert product_modules_importing_benchmarks(tmp_path) == []
    # Deferred into a function it is still an import of the harness.
    plant("knowledge/selectors.py", "def f():\n    from benchmarks.knowledge import runner\n")
    assert product_modules_importing_benchmarks(tmp_path) == ["knowledge/selectors.py"]


def test_no_product_package_holds_benchmark_code_any_more():
    leftovers = [
        "models_runtime/bench",
        "models_runtime/benchmark.py",
        "knowledge/bench",
        "apps/customer_service/bench.py",
        "apps/medical_records/bench.py",
        "apps/financial_risk/bench.py",
        "apps/financial_risk/fraud_bench.py",
        "apps/audit/management/bench.py",
        "tests/benchsupport.py",
    ]
    # A folder counts only with Python files in it (a stale __pycache__ may outlive the move).
    present = [p for p in leftovers if (REPO / p).is_file() or any((REPO / p).glob("*.py"))]
    assert present == []


def test_benchmarks_is_this_repository_s_package():
    """pysbd installs a top-level ``benchmarks`` package too; from the repository root (where make,
    manage.py and pytest run) the name must be ours, or the bench commands would import pysbd's."""
    import benchmarks

    assert Path(benchmarks.__file__).resolve().parent == REPO / "benchmarks"
