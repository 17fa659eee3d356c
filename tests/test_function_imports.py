"""No import of a project module inside a function, in product code.

An import placed in a function to get around a cycle hides a dependency the layer contract
(pyproject.toml, docs/architecture.md) should see and forbid. Deferring a heavy third-party
library (torch, transformers, medspaCy, shap, xgboost) inside a function is fine and not counted;
deferring a project module is allowed only where the list below says why.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("apps", "config", "knowledge", "models_runtime", "benchmarks")

# (path, function) pairs; "*" as the path matches every file of that name. At most ten entries.
ALLOWED: dict[tuple[str, str], str] = {
    # Django imports an app's apps.py before any model is loaded; ready() is the documented place
    # to import the modules that register signal-free hooks, checks and Celery tasks.
    ("*/apps.py", "ready"): "AppConfig.ready: Django's place for registrations at start",
    # masking imports Presidio and spaCy (seconds, they pull in PyTorch): loaded only when a log
    # line may hold personal data, so processes that log plain lines never load them.
    ("apps/privacy/logmask.py", "_mask_for_log_uncached"): "defers Presidio behind masking",
    # gunicorn reads its settings file in the master, before Django is set up; a worker warms its
    # models once the application (and so Django) is loaded in it.
    ("config/gunicorn_conf.py", "_warm"): "gunicorn's settings file loads before Django",
    ("config/gunicorn_conf.py", "_send_request_metrics"): "the same, at a worker's exit",
}
MAX_ALLOWED = 10


def product_files():
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
                continue
            yield path


def imported_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: always a module of the same project package
        return ["." * node.level + (node.module or "")]
    return [node.module or ""]


def is_project_module(name: str) -> bool:
    return name.startswith(".") or name.split(".")[0] in PROJECT_PACKAGES


def function_level_imports(path: Path, root: Path = ROOT) -> list[tuple[str, int, str, str]]:
    """(path, line, function, module) for each project import inside a function of ``path``."""
    relative = path.relative_to(root).as_posix()
    found = []
    for function in ast.walk(ast.parse(path.read_text(), filename=relative)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [
                    (relative, node.lineno, function.name, name)
                    for name in imported_names(node)
                    if is_project_module(name)
                ]
    return found


def entry_matches(entry: tuple[str, str], relative: str, function: str) -> bool:
    path, name = entry
    if path.startswith("*/"):
        return name == function and relative.endswith(path[1:])
    return name == function and path == relative


def is_allowed(relative: str, function: str) -> bool:
    return any(entry_matches(entry, relative, function) for entry in ALLOWED)


def test_the_allow_list_is_short():
    assert len(ALLOWED) <= MAX_ALLOWED


def test_no_project_import_inside_a_function():
    offenders = sorted(
        {
            f"{path}:{line} {function}() imports {module}"
            for file in product_files()
            for path, line, function, module in function_level_imports(file)
            if not is_allowed(path, function)
        }
    )
    assert not offenders, "\n".join(offenders)


def test_every_allowed_entry_is_still_needed():
    """An entry whose import is gone is removed, so the list stays the short list of reasons."""
    seen = {
        (path, function)
        for file in product_files()
        for path, _, function, _ in function_level_imports(file)
    }
    unused = [entry for entry in ALLOWED if not any(entry_matches(entry, *pair) for pair in seen)]
    assert not unused


def test_the_walk_finds_an_import_inside_a_function(tmp_path):
    """The detector itself: a nested project import is found, a third-party one is not."""
    module = tmp_path / "sample.py"
    module.write_text(
        "import json\n\n"
        "def heavy():\n    import torch\n    return torch\n\n"
        "def dodges_a_cycle():\n    from apps.accounts.models import Tenant\n    return Tenant\n\n"
        "class Service:\n    def method(self):\n        from . import selectors\n"
    )
    found = function_level_imports(module, root=tmp_path)
    assert [(function, name) for _, _, function, name in found] == [
        ("dodges_a_cycle", "apps.accounts.models"),
        ("method", "."),
    ]
