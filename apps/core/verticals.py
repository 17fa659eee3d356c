"""The vertical contract: one declaration per vertical, discovered from INSTALLED_APPS.

A vertical (customer service, medical records, ...) declares itself once, in
``<package>/vertical.py``, as a module-level ``VERTICAL = Vertical(...)`` (the style of NetBox's
``PluginConfig``). The platform reads everything it needs to wire the vertical in from there:
its roles and data domains, its URLs, Celery routes and beat entries, OpenAPI enum names,
console panels and metrics, the dotted-path hooks it fills, and, for the test suite, the
factories and role-matrix rows of its models. Nothing below the verticals names one.

When the values are read (docs/adding-a-vertical.md, "How the declarations reach Django"):

- Settings-level values (beat schedule, task routes, OpenAPI enum overrides, hooks, panels,
  the vertical's own settings) are needed before Django loads any app, so
  ``config/settings/verticals.py`` calls :func:`declarations` on ``INSTALLED_APPS`` while the
  settings module runs and merges them into the platform's settings. That is why a
  ``vertical.py`` may import only this module, the standard library and Celery's schedules: no
  models, no Django settings, nothing that needs the app registry.
- The roles are built once, when apps.accounts loads its models (apps/accounts/roles.py).
- Everything else (URLs, domains and job kinds, the console's groups, the test tables) reads
  :func:`installed` after the app registry is ready, so a test that installs a throw-away
  vertical with ``override_settings(INSTALLED_APPS=...)`` sees it.

Dotted paths in a declaration that start with ``.`` are relative to the vertical's package, so
copying a vertical's folder under a new name does not mean rewriting every path.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from django.apps import apps as app_registry
from django.urls import include, path

DECLARATION_MODULE = "vertical"
DECLARATION_NAME = "VERTICAL"


@dataclass(frozen=True)
class RoleSpec:
    """A persona a membership or an API key can carry.

    ``order`` fixes the role's place among the platform's choices: migrations of the fields
    that hold a role record the choices in that order, and so does the OpenAPI schema, so an
    existing role never moves and a new one takes a number not yet used.
    """

    value: str
    label: str
    order: int

    @property
    def attribute(self) -> str:
        """The enum member name (``model_validator`` -> ``Role.MODEL_VALIDATOR``)."""
        return self.value.upper()


@dataclass(frozen=True)
class DataDomain:
    """Which roles read and write one domain of data (knowledge graphs carry a domain)."""

    name: str
    read: frozenset[str]
    write: frozenset[str]


@dataclass(frozen=True)
class Periodic:
    """A beat entry. ``schedule`` gets the finished settings (a mapping) and returns a
    ``timedelta`` or a ``crontab``, so the period can come from a setting."""

    task: str
    schedule: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Vertical:
    """Everything the platform needs to know about one vertical (module docstring)."""

    # The Django app label, also the prefix of its audit actions and job kinds.
    name: str
    # How the operator console names it ("financial risk").
    label: str
    # /api/v1/<url_prefix>/ serves ``api_urls``; requests under it count as this vertical.
    url_prefix: str
    api_urls: str = ".api.urls"
    # Pages outside the API (an agent inbox, a demo shop): /<page_prefix>/ serves ``page_urls``.
    page_prefix: str = ""
    page_urls: str = ""
    roles: tuple[RoleSpec, ...] = ()
    data_domains: tuple[DataDomain, ...] = ()
    # Job kinds "<prefix>.<...>" and who reads and cancels them: keyword arguments of
    # apps.jobs.access.JobAccess (domain, read, cancel), roles as strings.
    job_access: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Audit-action prefixes the console counts as this vertical (besides ``name``).
    action_prefixes: tuple[str, ...] = ()
    # Celery: task-name glob -> queue (tasks not named here go to the default queue).
    task_queues: Mapping[str, str] = field(default_factory=dict)
    beat_schedule: Mapping[str, Periodic] = field(default_factory=dict)
    # drf-spectacular ENUM_NAME_OVERRIDES entries for fields named alike in several apps.
    enum_overrides: Mapping[str, Any] = field(default_factory=dict)
    # The console's panels (OPERATIONS_PANELS) and database gauges (OPERATIONS_METRIC_SOURCES).
    console_panels: Mapping[str, str] = field(default_factory=dict)
    metric_sources: Mapping[str, str] = field(default_factory=dict)
    # Every gauge this vertical exports starts with this prefix.
    metrics_prefix: str = ""
    # Dotted-path hooks of the platform this vertical fills: list-valued settings
    # (PRIVACY_DATA_KINDS, ADAPTATION_PAIR_SOURCES) get the paths appended, a single-valued
    # one (MODELS_RUNTIME_ADAPTER_HOOK) is set to the only path given.
    settings_hooks: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)
    # The vertical's own settings: f(env, settings) -> {NAME: value}, read from the
    # environment when the settings load (env is django-environ's Env).
    settings: Callable[[Any, Mapping[str, Any]], Mapping[str, Any]] | None = None
    # Test tables: model label -> dotted path of a factory f(tenant) -> row, and the module
    # holding ADMIN_EXPECTED and API_EXPECTED role-matrix rows (tests/access_matrix.py).
    isolation_factories: Mapping[str, str] = field(default_factory=dict)
    role_matrix: str = ""
    # API views holding no tenant rows of their own, by class name, each with the reason it is
    # safe (the isolation walker refuses any other view that is not tenant-scoped).
    tenant_free_views: Mapping[str, str] = field(default_factory=dict)
    # The load test's parts (tests/load/): part name -> dotted path of prepare(tenant) -> dict.
    load_parts: Mapping[str, str] = field(default_factory=dict)
    # Management commands: the demo seed, quality evaluations and benchmarks.
    seed_command: str = ""
    evaluate_commands: tuple[str, ...] = ()
    bench_commands: tuple[str, ...] = ()
    # Filled in by discovery: the package the declaration was found in.
    package: str = ""

    def path(self, dotted: str) -> str:
        """``dotted`` made absolute: a leading dot is relative to the vertical's package."""
        return self.package + dotted if dotted.startswith(".") else dotted


def _has_declaration(package: str) -> bool:
    """Whether ``package`` holds a vertical.py. find_spec imports only the parents of
    ``package``, not the package itself, so this is safe while the settings load."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return False
    locations = (spec.submodule_search_locations or ()) if spec else ()
    return any(
        os.path.isfile(os.path.join(location, f"{DECLARATION_MODULE}.py")) for location in locations
    )


@lru_cache(maxsize=16)
def _declarations(packages: tuple[str, ...]) -> tuple[Vertical, ...]:
    found = []
    for package in packages:
        if not _has_declaration(package):
            continue
        module = importlib.import_module(f"{package}.{DECLARATION_MODULE}")
        declared = getattr(module, DECLARATION_NAME, None)
        if not isinstance(declared, Vertical):
            raise TypeError(f"{package}.{DECLARATION_MODULE}.{DECLARATION_NAME} is not a Vertical")
        found.append(replace(declared, package=package))
    names = [v.name for v in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"Two verticals declare the same name: {duplicates}")
    return tuple(found)


def declarations(installed_apps: Iterable[str]) -> tuple[Vertical, ...]:
    """The declarations of the verticals among ``installed_apps``, in their order."""
    return _declarations(tuple(installed_apps))


def installed() -> tuple[Vertical, ...]:
    """The declarations of the verticals the app registry holds now (override_settings of
    INSTALLED_APPS included)."""
    return declarations(config.name for config in app_registry.get_app_configs())


def declared_roles(verticals: Iterable[Vertical], platform: Iterable[RoleSpec]) -> list[RoleSpec]:
    """The platform's roles and every vertical's, once each, in their declared order."""
    by_value: dict[str, RoleSpec] = {}
    for spec in [*platform, *(role for vertical in verticals for role in vertical.roles)]:
        known = by_value.get(spec.value)
        if known is not None and known != spec:
            raise ValueError(f"Role {spec.value!r} is declared twice, differently")
        by_value[spec.value] = spec
    orders = [spec.order for spec in by_value.values()]
    if len(orders) != len(set(orders)):
        raise ValueError(f"Two roles share an order: {sorted(by_value.values(), key=str)}")
    return sorted(by_value.values(), key=lambda spec: spec.order)


def api_urlpatterns() -> list:
    """/api/v1/<url_prefix>/ for every installed vertical, in INSTALLED_APPS order."""
    return [
        path(f"{vertical.url_prefix}/", include(vertical.path(vertical.api_urls)))
        for vertical in installed()
        if vertical.api_urls
    ]


def page_urlpatterns() -> list:
    """/<page_prefix>/ for every installed vertical that serves pages outside the API."""
    return [
        path(f"{vertical.page_prefix}/", include(vertical.path(vertical.page_urls)))
        for vertical in installed()
        if vertical.page_urls
    ]


def api_groups() -> dict[str, str]:
    """The first segment under /api/v1/ -> the vertical's label (the console's recorder)."""
    return {vertical.url_prefix: vertical.label for vertical in installed()}


def action_groups() -> dict[str, str]:
    """Audit-action prefixes (the part before the first dot) -> the vertical's label."""
    return {
        prefix: vertical.label
        for vertical in installed()
        for prefix in (vertical.name, *vertical.action_prefixes)
    }
