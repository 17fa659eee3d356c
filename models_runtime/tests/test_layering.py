"""The runtime's place in the layers: it reaches the project's Celery app only through
``celery.current_app``, never imports ``config``, and loads a backend's heavy libraries only
when a model needs that backend."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils.module_loading import import_string

from models_runtime.backends import BACKEND_CLASSES, Backend, backend_class
from models_runtime.specs import OPENAI_TASKS, TASKS, spec_from_dict

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["models_runtime", "knowledge"])
def test_the_library_never_imports_the_project_wiring(package):
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if any(name.split(".")[0] == "config" for name in _imported_modules(path))
    ]
    assert not offenders


def test_every_backend_path_names_a_backend_class():
    for key, path in BACKEND_CLASSES.items():
        cls = import_string(path)
        assert issubclass(cls, Backend), key


@pytest.mark.parametrize("task", TASKS)
def test_a_local_model_gets_its_tasks_backend(task):
    spec = spec_from_dict("m", {"task": task, "source": "/m"})
    assert backend_class(spec) is import_string(BACKEND_CLASSES["transformers", task])


@pytest.mark.parametrize("task", OPENAI_TASKS)
def test_an_openai_compatible_server_serves_every_task_it_can(task):
    spec = spec_from_dict(
        "m",
        {"task": task, "backend": "openai", "base_url": "http://vllm:8000/v1", "api_model": "m"},
    )
    assert backend_class(spec) is import_string(BACKEND_CLASSES["openai", None])


def test_the_backend_table_loads_no_model_library_until_asked():
    """The web process imports the backends package (through the registry) and must not pay
    for torch, transformers or the openai client."""
    code = (
        "import sys, models_runtime.backends, models_runtime.registry;"
        "print(sorted(m for m in ('torch', 'transformers', 'openai') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
