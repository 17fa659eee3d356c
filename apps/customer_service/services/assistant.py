"""Writes of a tenant's assistant configuration: its settings (brand, persona, languages,
templates, escalation rules) and its connector to the shop's system. Both audited; a connector
URL off the platform's allow-list is refused before anything is stored."""

from __future__ import annotations

from apps.audit.services import audited
from apps.customer_service.models import AssistantSettings, Connector, ConnectorKind
from apps.customer_service.services.assistant_texts import DEFAULT_TEMPLATES
from apps.customer_service.services.connectors import url_allowed

SETTINGS_FIELDS = {
    "brand_name",
    "brand_names",
    "persona",
    "tone",
    "languages",
    "default_language",
    "templates",
    "handoff_hours",
    "negative_handoff_threshold",
    "fallback_handoff_count",
    "grounding_enabled",
}


class AssistantConfigError(ValueError):
    """An unusable setting; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _check_settings(values: dict) -> None:
    unknown = set(values) - SETTINGS_FIELDS
    if unknown:
        raise AssistantConfigError(sorted(unknown)[0], "unknown setting")
    languages = values.get("languages")
    if languages is not None and (
        not isinstance(languages, list) or not all(isinstance(x, str) and x for x in languages)
    ):
        raise AssistantConfigError("languages", "a list of language codes, e.g. ['en', 'zh']")
    default = values.get("default_language")
    if default and languages and default not in languages:
        raise AssistantConfigError("default_language", "must be one of the languages")
    templates = values.get("templates")
    if templates is not None:
        if not isinstance(templates, dict) or not all(
            isinstance(texts, dict) and all(isinstance(v, str) for v in texts.values())
            for texts in templates.values()
        ):
            raise AssistantConfigError("templates", "{language: {template name: text}}")
        known = set(DEFAULT_TEMPLATES["en"])
        for language, texts in templates.items():
            for name in texts:
                if name not in known:
                    raise AssistantConfigError("templates", f"{language}.{name}: unknown template")
    threshold = values.get("negative_handoff_threshold")
    if threshold is not None and not 0 < float(threshold) <= 1:
        raise AssistantConfigError("negative_handoff_threshold", "between 0 and 1")


def assistant_settings_update(*, tenant, **values) -> AssistantSettings:
    """Create or change the tenant's assistant settings (only the given fields), audited."""
    _check_settings(values)
    with audited(
        tenant=tenant,
        action="customer_service.assistant_settings.update",
        resource_type="customer_service.assistant_settings",
    ) as event:
        config, _ = AssistantSettings.objects.get_or_create(
            tenant=tenant, defaults={"brand_name": tenant.name, "languages": ["en", "zh"]}
        )
        for name, value in values.items():
            setattr(config, name, value)
        if config.default_language not in (config.languages or [config.default_language]):
            raise AssistantConfigError("default_language", "must be one of the languages")
        config.save()
        event.resource_id = str(config.public_id)
        event.details = {"fields": sorted(values)}
    return config


def connector_save(
    *, tenant, name: str = "orders", kind: str, base_url: str = "", **fields
) -> Connector:
    """Create or change the tenant's connector of this name. An HTTP connector's base URL must
    be on ``CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS``."""
    if kind not in ConnectorKind.values:
        raise AssistantConfigError("kind", f"one of {', '.join(ConnectorKind.values)}")
    if kind == ConnectorKind.HTTP and not url_allowed(base_url):
        raise AssistantConfigError("base_url", "the host is not on the platform's allow-list")
    mapping = fields.get("mapping")
    if kind == ConnectorKind.HTTP and not (
        isinstance(mapping, dict)
        and all(
            isinstance(spec, dict) and "path" in spec and "fields" in spec
            for spec in mapping.values()
        )
    ):
        raise AssistantConfigError("mapping", "{operation: {method, path, fields}} per operation")
    with audited(
        tenant=tenant,
        action="customer_service.connector.save",
        resource_type="customer_service.connector",
    ) as event:
        connector, _ = Connector.objects.update_or_create(
            tenant=tenant,
            name=name,
            defaults={
                "kind": kind,
                "base_url": base_url,
                "failures": 0,
                "open_until": None,
                **fields,
            },
        )
        event.resource_id = str(connector.pk)
        event.details = {"kind": kind, "host": base_url.split("/")[2] if "//" in base_url else ""}
    return connector
