"""knowledge.graphs is the Django-free graph library: importing all of it loads no Django, no
REST framework and no database-facing part of the project."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import knowledge.graphs

ROOT = Path(__file__).resolve().parents[2]


def test_the_graph_library_imports_no_django():
    modules = sorted(
        info.name for info in pkgutil.walk_packages(knowledge.graphs.__path__, "knowledge.graphs.")
    )
    assert "knowledge.graphs.formats.csv_files" in modules  # the walk reaches sub-packages
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]\n"
        "project = [m for m in sys.modules if m.startswith(('knowledge.', 'apps.', 'config'))\n"
        "           and not m.startswith(('knowledge.graphs', 'apps.core.csv_safe'))\n"
        "           and m not in ('apps.core',)]\n"
        "print(sorted(loaded), sorted(project))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DJANGO_SETTINGS_MODULE
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[] []"
