"""The vertical contract (apps/core/verticals.py): what each declaration says reaches the
platform, everything it names exists, and nothing below the verticals names one.

Nothing here names a vertical: the verticals are read from their declarations. Each vertical's
own tests (apps/<vertical>/tests/test_vertical.py) compare its discovered values with the
wiring written out by hand before the declarations.
"""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import get_commands
from django.utils.module_loading import import_string

from apps.accounts.domains import READ, WRITE, domain_roles
from apps.accounts.roles import PLATFORM_ROLES, Role
from apps.core.verticals import (
    Periodic,
    RoleSpec,
    Vertical,
    declarations,
    declared_roles,
    installed,
)
from apps.jobs.access import job_access
from apps.operations import activity, recorder
from config.settings import verticals as settings_merge
from knowledge.models import Domain as GraphDomain
from tests.access_matrix import vertical_rows
from tests.routes import api_routes

ROOT = Path(__file__).resolve().parents[1]
VERTICALS = installed()


def _ids(vertical):
    return vertical.name


def test_the_installed_verticals_are_discovered():
    assert len(VERTICALS) >= 4
    assert declarations(settings.INSTALLED_APPS) == VERTICALS
    for vertical in VERTICALS:
        assert vertical.package in settings.INSTALLED_APPS
        assert apps.get_app_config(vertical.name).name == vertical.package


# ------------------------------------------------------------------------ nothing names one


def _platform_sources():
    """Every Python file below the verticals and in the cross-app tests, migrations and the
    apps' own test folders aside."""
    vertical_dirs = {ROOT / Path(*v.package.split(".")) for v in VERTICALS}
    roots = [ROOT / "config", ROOT / "knowledge", ROOT / "models_runtime", ROOT / "tests"]
    roots += [d for d in (ROOT / "apps").iterdir() if d.is_dir() and d not in vertical_dirs]
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or (parts[0] != "tests" and "tests" in parts):
                continue
            yield path


def _naming_lines(paths) -> list[str]:
    """Lines of ``paths`` that contain a vertical's module path."""
    pattern = re.compile("|".join(re.escape(v.package) for v in VERTICALS))
    entry = re.compile(r'^    "[\w.]+",$')
    found = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not pattern.search(line):
                continue
            # The one exception: the INSTALLED_APPS entries, bare lines.
            if relative == "config/settings/core.py" and entry.match(line):
                continue
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_nothing_below_the_verticals_names_one():
    found = _naming_lines(_platform_sources())
    assert not found, "\n".join(found)


def test_the_scan_reads_the_platform_and_sees_a_planted_name(tmp_path):
    sources = {p.relative_to(ROOT).as_posix() for p in _platform_sources()}
    assert {"config/urls.py", "apps/operations/recorder.py", "tests/isolation_registry.py"} <= (
        sources
    )
    planted = tmp_path / "planted.py"
    planted.write_text(f'PANEL = "{VERTICALS[0].package}.selectors.panel"\n')
    assert _naming_lines([planted]) == [f"{planted}:1: {planted.read_text().strip()}"]


def test_installed_apps_name_each_vertical_on_a_bare_line():
    lines = (ROOT / "config" / "settings" / "core.py").read_text().splitlines()
    for vertical in VERTICALS:
        assert f'    "{vertical.package}",' in lines, vertical.name


# ------------------------------------------------------------------------ what they declare


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_every_dotted_path_of_a_declaration_imports(vertical):
    modules = [vertical.api_urls, *([vertical.page_urls] if vertical.page_urls else [])]
    for module in modules:
        assert import_module(vertical.path(module)).urlpatterns, module
    paths = [
        *vertical.console_panels.values(),
        *vertical.metric_sources.values(),
        *(v for v in vertical.enum_overrides.values() if isinstance(v, str)),
        *vertical.isolation_factories.values(),
        *vertical.load_parts.values(),
    ]
    for value in vertical.settings_hooks.values():
        paths += [value] if isinstance(value, str) else list(value)
    for path in paths:
        assert import_string(vertical.path(path)) is not None, path
    if vertical.role_matrix:
        for table in ("ADMIN_EXPECTED", "API_EXPECTED"):
            import_string(f"{vertical.path(vertical.role_matrix)}.{table}")


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_its_settings_reach_django_and_celery(vertical):
    from config.celery import app

    enums = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    for name, value in vertical.enum_overrides.items():
        assert enums[name] == (vertical.path(value) if isinstance(value, str) else value)
    for name, path in vertical.console_panels.items():
        assert settings.OPERATIONS_PANELS[name] == vertical.path(path)
    for name, path in vertical.metric_sources.items():
        assert name.startswith(vertical.metrics_prefix), (name, vertical.metrics_prefix)
        assert settings.OPERATIONS_METRIC_SOURCES[name] == vertical.path(path)
    for name, value in vertical.settings_hooks.items():
        if isinstance(value, str):
            assert getattr(settings, name) == vertical.path(value)
        else:
            assert {vertical.path(p) for p in value} <= set(getattr(settings, name))
    for name, entry in vertical.beat_schedule.items():
        scheduled = settings.CELERY_BEAT_SCHEDULE[name]
        assert scheduled["task"] == vertical.path(entry.task)
        assert scheduled["task"] in app.tasks
    if vertical.settings:
        for name in vertical.settings(settings_merge.env, vars(settings._wrapped)):
            assert hasattr(settings, name), name


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_its_urls_and_console_groups(vertical):
    routes = [r for r in api_routes() if r.pattern.startswith(f"api/v1/{vertical.url_prefix}/")]
    assert routes, "the declared API is not routed under its prefix"
    for route in routes:
        assert route.view_class.__module__.startswith(f"{vertical.package}."), route.pattern
    assert recorder.group_of(f"/api/v1/{vertical.url_prefix}/anything/") == vertical.label
    for prefix in (vertical.name, *vertical.action_prefixes):
        assert activity.vertical_of(f"{prefix}.something.create") == vertical.label


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_its_roles_domains_and_jobs_are_registered(vertical):
    for spec in vertical.roles:
        assert getattr(Role, spec.attribute) == spec.value
        assert Role(spec.value).label == spec.label
    for domain in vertical.data_domains:
        assert domain_roles(domain.name, WRITE) == domain.write | {Role.ADMIN}
        assert domain_roles(domain.name, READ) == domain.read | domain.write | {Role.ADMIN}
    for prefix, access in vertical.job_access.items():
        registered = job_access(f"{prefix}.anything")
        for field, value in access.items():
            assert getattr(registered, field) == value


def test_every_knowledge_graph_domain_but_general_is_owned_by_one_vertical():
    owned = [domain.name for vertical in VERTICALS for domain in vertical.data_domains]
    assert len(owned) == len(set(owned)), owned
    assert set(owned) == set(GraphDomain.values) - {GraphDomain.GENERAL}


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_its_test_tables_belong_to_it(vertical):
    labels = {m._meta.label_lower for m in apps.get_app_config(vertical.name).get_models()}
    assert set(vertical.isolation_factories) <= labels
    if vertical.role_matrix:
        rows = import_string(f"{vertical.path(vertical.role_matrix)}.ADMIN_EXPECTED")
        assert set(rows) <= labels
        api = import_string(f"{vertical.path(vertical.role_matrix)}.API_EXPECTED")
        assert all(path.startswith(f"/api/v1/{vertical.url_prefix}/") for _, path in api)
    assert vertical_rows("API_EXPECTED")  # the role matrix reads the verticals' rows


@pytest.mark.parametrize("vertical", VERTICALS, ids=_ids)
def test_its_commands_are_declared_and_exist(vertical):
    commands = get_commands()
    declared = {vertical.seed_command, *vertical.evaluate_commands, *vertical.bench_commands}
    declared.discard("")
    for name in declared:
        assert commands.get(name) == vertical.package, name
    own = {name for name, app in commands.items() if app == vertical.package}
    undeclared = {n for n in own if n.startswith(("evaluate_", "bench_"))} - declared
    assert not undeclared, f"{vertical.name}: declare {sorted(undeclared)}"


# ------------------------------------------------------------------------ the roles


def test_roles_are_todays_in_todays_order():
    """The choices migrations and the OpenAPI schema recorded before the declarations."""
    assert Role.choices == [
        ("admin", "Administrator"),
        ("analyst", "Risk analyst"),
        ("clinician", "Clinician"),
        ("agent", "Customer-service agent"),
        # issue 22: declared by financial risk, approves model promotions
        ("model_validator", "Model validator"),
        ("auditor", "Auditor (read-only audit and reports)"),
    ]
    assert Role.choices == [
        (spec.value, spec.label) for spec in declared_roles(VERTICALS, PLATFORM_ROLES)
    ]


def test_a_vertical_can_bring_a_new_role():
    validator = Vertical(
        name="validation",
        label="validation",
        url_prefix="validation",
        roles=(RoleSpec("data_steward", "Data steward", order=50),),
    )
    specs = declared_roles((*VERTICALS, validator), PLATFORM_ROLES)
    values = [spec.value for spec in specs]
    assert values == [
        "admin",
        "analyst",
        "clinician",
        "agent",
        "model_validator",
        "data_steward",
        "auditor",
    ]
    assert specs[5].attribute == "DATA_STEWARD"


def test_roles_declared_twice_must_agree_and_orders_must_differ():
    clash = Vertical(name="x", label="x", url_prefix="x", roles=(RoleSpec("analyst", "Quant", 10),))
    with pytest.raises(ValueError, match="declared twice"):
        declared_roles((*VERTICALS, clash), PLATFORM_ROLES)
    same_order = Vertical(name="y", label="y", url_prefix="y", roles=(RoleSpec("quant", "Q", 10),))
    with pytest.raises(ValueError, match="share an order"):
        declared_roles((*VERTICALS, same_order), PLATFORM_ROLES)


# ------------------------------------------------------------------------ the settings merge


def _fake(**fields):
    return Vertical(name="fake", label="fake", url_prefix="fake", package="pkg.fake", **fields)


def test_the_merge_makes_paths_absolute_and_computes_periods():
    fake = _fake(
        beat_schedule={"fake-every": Periodic(".tasks.tick", lambda s: timedelta(s["EVERY"]))},
        task_queues={".tasks.*": "training"},
        console_panels={"fake": ".selectors.panel"},
        enum_overrides={"FakeEnum": ".models.Kind", "FakeListEnum": ["a", "b"]},
    )
    assert settings_merge.beat_schedule((fake,), {"EVERY": 2}) == {
        "fake-every": {"task": "pkg.fake.tasks.tick", "schedule": timedelta(2)}
    }
    assert settings_merge.task_routes((fake,)) == {"pkg.fake.tasks.*": {"queue": "training"}}
    assert settings_merge.dotted_map((fake,), "console_panels") == {
        "fake": "pkg.fake.selectors.panel"
    }
    assert settings_merge.dotted_map((fake,), "enum_overrides") == {
        "FakeEnum": "pkg.fake.models.Kind",
        "FakeListEnum": ["a", "b"],
    }


def test_hooks_append_lists_and_refuse_two_fillers_of_one_callable(monkeypatch):
    monkeypatch.delenv("FAKE_SOURCES", raising=False)
    one = _fake(settings_hooks={"FAKE_SOURCES": (".a.f",), "FAKE_HOOK": ".a.g"})
    other = Vertical(
        name="other",
        label="other",
        url_prefix="other",
        package="pkg.other",
        settings_hooks={"FAKE_SOURCES": (".b.f",)},
    )
    assert settings_merge.hooks((one, other)) == {
        "FAKE_SOURCES": ["pkg.fake.a.f", "pkg.other.b.f"],
        "FAKE_HOOK": "pkg.fake.a.g",
    }
    # The environment may replace a list hook, as it could before the declarations.
    monkeypatch.setenv("FAKE_SOURCES", "x.y.z")
    assert settings_merge.hooks((one,))["FAKE_SOURCES"] == ["x.y.z"]
    twice = Vertical(
        name="twice",
        label="twice",
        url_prefix="twice",
        package="pkg.twice",
        settings_hooks={"FAKE_HOOK": ".c.g"},
    )
    with pytest.raises(ValueError, match="single hook"):
        settings_merge.hooks((one, twice))


def test_a_vertical_setting_never_overrides_another():
    fake = _fake(settings=lambda env, platform: {"SECRET_KEY": "mine"})
    with pytest.raises(ValueError, match="already set"):
        settings_merge.vertical_settings((fake,), {"SECRET_KEY": "platform"})
    derived = _fake(settings=lambda env, platform: {"FAKE_KEY": f"k:{platform['SECRET_KEY']}"})
    assert settings_merge.vertical_settings((derived,), {"SECRET_KEY": "s"}) == {"FAKE_KEY": "k:s"}


def test_discovery_skips_packages_without_a_declaration_and_refuses_two_of_a_name():
    assert declarations(["django.contrib.admin", "apps.core", "knowledge"]) == ()
    doubled = [v.package for v in VERTICALS[:1]] * 2
    with pytest.raises(ValueError, match="same name"):
        declarations(doubled)
