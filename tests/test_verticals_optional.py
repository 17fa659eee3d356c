"""The platform starts with any one vertical left out: nothing below the verticals depends on a
vertical being installed (its roles, data domains, job kinds, URLs and admin come only from its
declaration). Each case starts a fresh interpreter with a settings module that drops one
vertical from INSTALLED_APPS, sets Django up and builds the URL configuration and the admin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.core.verticals import installed

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, django
django.setup()
from django.contrib import admin
from django.urls import get_resolver
from apps.accounts.domains import domains
from apps.accounts.roles import Role
from apps.core.verticals import installed
get_resolver().url_patterns
print(json.dumps({
    "verticals": [v.name for v in installed()],
    "roles": sorted(Role.values),
    "domains": sorted(domains()),
    "admin_apps": sorted({m._meta.app_label for m in admin.site._registry}),
}))
"""


def _start_without(tmp_path, package: str) -> dict:
    (tmp_path / "left_out_settings.py").write_text(
        "from config.settings.test import *  # noqa: F403\n"
        f"INSTALLED_APPS = [app for app in INSTALLED_APPS if app != {package!r}]  # noqa: F405\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "left_out_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("vertical", installed(), ids=lambda v: v.name)
def test_the_platform_starts_without_this_vertical(tmp_path, vertical):
    started = _start_without(tmp_path, vertical.package)
    others = [v for v in installed() if v is not vertical]
    assert started["verticals"] == [v.name for v in others]
    # Its own roles and domains are gone with it; the others' stay.
    kept_roles = {spec.value for v in others for spec in v.roles}
    for spec in vertical.roles:
        assert (spec.value in started["roles"]) == (spec.value in kept_roles)
    for domain in vertical.data_domains:
        assert domain.name not in started["domains"]
    for other in others:
        assert {d.name for d in other.data_domains} <= set(started["domains"])
    assert vertical.package.rsplit(".", 1)[-1] not in started["admin_apps"]
