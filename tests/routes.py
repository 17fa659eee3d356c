"""Walk the URL configuration: every API route and the view behind it.

The isolation and role tests iterate over these, so an endpoint added later is covered without
anyone remembering to write a test for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class ApiRoute:
    pattern: str  # e.g. "api/v1/jobs/<pk>/cancel/"
    name: str
    view_class: type
    actions: dict  # HTTP method -> viewset action (empty for plain APIViews)

    @property
    def is_detail(self) -> bool:
        return "<pk>" in self.pattern or "<uuid:pk>" in self.pattern or "(?P<pk>" in self.pattern

    def url(self, pk=None) -> str:
        path = "/" + self.pattern
        path = re.sub(r"\(\?P<pk>[^)]*\)", str(pk), path)
        path = re.sub(r"<(?:\w+:)?pk>", str(pk), path)
        return path.replace("^", "").replace("$", "").replace("\\", "")

    @property
    def methods(self) -> list[str]:
        if self.actions:
            return [m.upper() for m in self.actions]
        return [
            m.upper()
            for m in ("get", "post", "put", "patch", "delete")
            if hasattr(self.view_class, m)
        ]


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_routes() -> list[ApiRoute]:
    """Every route under api/v1/ served by a DRF view (format-suffix duplicates dropped)."""
    routes = []
    for pattern, entry in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/") or "format" in pattern:
            continue
        callback = entry.callback
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is None:
            continue
        allowed = set(getattr(view_class, "http_method_names", ()))
        actions = {
            m: a for m, a in (getattr(callback, "actions", None) or {}).items() if m in allowed
        }
        routes.append(ApiRoute(pattern, entry.name or "", view_class, dict(actions)))
    return routes


# ------------------------------------------------------------------------------------ admin

ADMIN_ROW_VIEWS = ("change", "delete", "history")


def tenant_admins() -> list[tuple]:
    """Every registered admin of tenant rows, as (model, model_admin), by model label."""
    from django.contrib import admin

    from apps.surface.admin_base import TenantScopedAdmin

    return sorted(
        (
            (model, model_admin)
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, TenantScopedAdmin)
        ),
        key=lambda item: item[0]._meta.label_lower,
    )


def admin_url(model, view: str, *args) -> str:
    from django.urls import reverse

    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_actions(model_admin) -> list[str]:
    """The names of an admin's actions, Django's delete_selected included."""
    names = [name for name, _ in model_admin.admin_site.actions]
    for action in model_admin.actions or ():
        names.append(action if isinstance(action, str) else action.__name__)
    return names
