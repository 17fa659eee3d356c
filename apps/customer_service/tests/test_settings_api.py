"""Tenant assistant settings over the API: defaults named after the tenant, a change of brand
and templates that the assistant uses at once, bad input as a 400 naming the field."""

from __future__ import annotations

import pytest

from apps.customer_service.services.assistant_texts import assistant_settings, detect_language, say

pytestmark = pytest.mark.django_db
URL = "/api/v1/customer-service/assistant-settings/"


def test_defaults_then_a_change_of_brand_and_templates(tenant, admin_client_for):
    shown = admin_client_for.get(f"{URL}current/").json()
    assert shown["brand_name"] == tenant.name and shown["languages"] == ["en", "zh"]
    response = admin_client_for.patch(
        f"{URL}update/",
        {
            "brand_name": "Nordlicht Outdoor",
            "handoff_hours": "Mo-Fr 9-17",
            "templates": {
                "zh": {"opening": "欢迎光临。"},
                "de": {"greeting": "Hallo von {brand}!"},
            },
            "languages": ["en", "zh", "de"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    config = assistant_settings(tenant)
    assert say(config, "greeting", "zh") == "您好！我是Nordlicht Outdoor的客服助手。欢迎光临。"
    assert say(config, "greeting", "de") == "Hallo von Nordlicht Outdoor!"  # a tenant's language
    assert "Mo-Fr 9-17" in say(config, "handoff", "en")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_language": "fr"}, "default_language"),
        ({"templates": {"en": {"no_such_text": "x"}}}, "templates"),
        ({"negative_handoff_threshold": 3}, "negative_handoff_threshold"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_a_400_naming_the_field(tenant, admin_client_for, body, field):
    response = admin_client_for.patch(f"{URL}update/", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_language_is_detected_per_message_with_the_default_when_unsure(tenant):
    config = assistant_settings(tenant)
    assert detect_language("运费多少钱？", config) == "zh"
    assert detect_language("How much is shipping?", config) == "en"
    assert detect_language("我的order 10045在哪里", config) == "zh"
    assert detect_language("10045", config, previous="zh") == "zh"
    assert detect_language("10045", config) == config.default_language
