"""The verticals' declarations, merged into the settings while they load.

Celery's beat schedule and task routes, drf-spectacular's enum names, the console's panels and
gauges and the dotted-path hooks are read by Django and Celery before any app is loaded, so they
cannot wait for ``AppConfig.ready``. This module therefore finds the verticals among
INSTALLED_APPS (a package with a ``vertical.py``; apps/core/verticals.py) and merges what each
declares, in INSTALLED_APPS order, after the platform's own values. A ``vertical.py`` imports no
models and no settings, so importing it here is safe. Everything read after start-up (URLs,
roles, domains, the console's groups) reads the declarations from the app registry instead.
"""

from collections.abc import Mapping
from typing import Any

from apps.core.verticals import Vertical, declarations

from .core import INSTALLED_APPS, env


def vertical_settings(verticals: tuple[Vertical, ...], namespace: dict[str, Any]) -> dict:
    """Each vertical's own settings, read from the environment (a name declared twice is a
    mistake: the second would silently win)."""
    merged: dict[str, Any] = {}
    for vertical in verticals:
        if vertical.settings is None:
            continue
        for name, value in vertical.settings(env, namespace).items():
            if name in merged or name in namespace:
                raise ValueError(f"{vertical.name} declares the setting {name}, already set")
            merged[name] = value
    return merged


def beat_schedule(verticals: tuple[Vertical, ...], settings: Mapping[str, Any]) -> dict:
    """The verticals' beat entries, each period computed from the finished settings."""
    return {
        name: {"task": vertical.path(entry.task), "schedule": entry.schedule(settings)}
        for vertical in verticals
        for name, entry in vertical.beat_schedule.items()
    }


def task_routes(verticals: tuple[Vertical, ...]) -> dict:
    """Celery's map of task-name globs to queues (tried after the runtime's router)."""
    return {
        vertical.path(pattern): {"queue": queue}
        for vertical in verticals
        for pattern, queue in vertical.task_queues.items()
    }


def dotted_map(verticals: tuple[Vertical, ...], attribute: str) -> dict:
    """A name -> dotted path table (panels, gauges, enum names) of every vertical, with the
    paths made absolute; literal values (an enum's list of choices) pass through."""
    return {
        name: vertical.path(value) if isinstance(value, str) else value
        for vertical in verticals
        for name, value in getattr(vertical, attribute).items()
    }


def hooks(verticals: tuple[Vertical, ...], platform: dict | None = None) -> dict:
    """The dotted-path hooks the verticals fill. A hook declared as a tuple is a list every
    vertical may add to, after the platform's own entries (``platform[name]``), and the
    environment may replace (``env.list``); one declared as a string names the single callable
    of that hook."""
    lists: dict[str, list[str]] = {}
    singles: dict[str, str] = {}
    for vertical in verticals:
        for name, value in vertical.settings_hooks.items():
            if isinstance(value, str):
                if name in singles:
                    raise ValueError(f"Two verticals fill the single hook {name}")
                singles[name] = vertical.path(value)
            else:
                lists.setdefault(name, []).extend(vertical.path(path) for path in value)
    platform = platform or {}
    return {
        **{
            name: env.list(name, default=[*platform.get(name, []), *paths])
            for name, paths in lists.items()
        },
        **singles,
    }


def merge(namespace: dict[str, Any]) -> dict[str, Any]:
    """The settings ``namespace`` (the platform's, finished) gains the verticals' values."""
    verticals = declarations(INSTALLED_APPS)
    namespace.update(vertical_settings(verticals, namespace))
    namespace.update(hooks(verticals, namespace))
    namespace["CELERY_BEAT_SCHEDULE"].update(beat_schedule(verticals, namespace))
    namespace["CELERY_TASK_ROUTES"].append(task_routes(verticals))
    namespace["SPECTACULAR_SETTINGS"]["ENUM_NAME_OVERRIDES"].update(
        dotted_map(verticals, "enum_overrides")
    )
    namespace["OPERATIONS_PANELS"].update(dotted_map(verticals, "console_panels"))
    namespace["OPERATIONS_METRIC_SOURCES"].update(dotted_map(verticals, "metric_sources"))
    return namespace
