"""Explanations a reviewer reads (issue 22): reason phrases in English and Chinese with the
applicant's value, chosen by Accept-Language or the tenant's language; the decision's
explanation (E[f(X)], f(x), the calibration to the probability); the waterfall and importance
drawn by shap; the model card as a self-contained HTML file, a PDF, and a readable admin page."""

from __future__ import annotations

import io
import json
import math
import re

import pytest
from pypdf import PdfReader
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from apps.accounts.tests.factories import admin_signed_in
from apps.financial_risk.engine.data import german_credit
from apps.financial_risk.engine.features import default_feature_config, validate_feature_config
from apps.financial_risk.engine.reason_phrases import phrase, pick_language
from apps.financial_risk.models import Decision, ModelState
from apps.financial_risk.services import decision_create, decision_explanation
from apps.financial_risk.services.demo import DEMO_PHRASES
from apps.financial_risk.services.governance_settings import governance_settings_update

from .factories import fraud_champion, tiny_applicant, tiny_dataset, tiny_model

pytestmark = pytest.mark.django_db
URL = "/api/v1/risk/decisions/"
PHRASES = {
    "debt": {"en": "debt of {value} against the income", "zh": "负债 {value}，相对收入过高"},
    "income": {"en": "Monthly income", "zh": "月收入"},
    "region": "Region",  # English only: Chinese falls back to it
}
FEATURES = {
    "columns": {"income": ["raw"], "debt": ["raw"], "region": ["one_hot"]},
    "reason_phrases": PHRASES,
}


@pytest.fixture
def phrased(tenant, dataset):
    return tiny_model(tenant, dataset=dataset, feature_config=FEATURES, state=ModelState.CHAMPION)


def _text(svg: str) -> str:
    """The text of an SVG as a reader sees it: tags dropped, shap's minus sign as '-'."""
    text = re.sub(r"<[^>]+>", " ", svg).replace("\u2212", "-")
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------------------- reason phrases


def test_phrases_with_the_value_in_each_language_and_their_fallbacks():
    assert phrase(PHRASES, "debt", 5000.0, "en") == "debt of 5000 against the income"
    assert phrase(PHRASES, "debt", 5000.0, "zh") == "负债 5000，相对收入过高"
    assert phrase(PHRASES, "income", 2000.5, "zh") == "月收入：2000.5"
    assert phrase(PHRASES, "region", "east", "zh") == "Region：east"  # English phrase
    assert phrase(PHRASES, "debt", None, "zh") == "负债 缺失，相对收入过高"
    assert phrase({}, "credit_amount", 7, "en") == "Credit amount: 7"
    assert pick_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language("fr-FR, en;q=0.5, zh;q=0.7") == "zh"
    assert pick_language("fr-FR", "zh") == "zh"
    assert pick_language("", "en") == "en"


def test_bad_phrases_are_a_400_naming_the_field(tenant, dataset, analyst):
    config = {
        "columns": {"income": ["raw"], "debt": ["raw"]},
        "reason_phrases": {
            "debt": {"en": "debt {amount}", "fr": "dette"},
            "income": {"zh": "收入 {value"},
            "nowhere": "x",
        },
    }
    response = analyst.post(
        "/api/v1/risk/models/",
        {"dataset": str(dataset.pk), "name": "bad", "feature_config": config},
        format="json",
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert {
        "feature_config.reason_phrases.debt",
        "feature_config.reason_phrases.income.zh",
        "feature_config.reason_phrases.nowhere",
    } <= set(errors), errors


def test_reasons_follow_accept_language_then_the_tenants_language(tenant, phrased, analyst):
    created = analyst.post(URL, {"applicant": tiny_applicant()}, format="json")
    assert created.status_code == 201, created.content
    assert created["Content-Language"] == "en"
    reasons = {r["feature"]: r for r in created.json()["reasons"]}
    assert reasons["debt"]["phrase"] == "debt of 5000 against the income"
    assert reasons["debt"]["value"] == 5000
    url = f"{URL}{created.json()['id']}/"

    chinese = analyst.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert chinese["Content-Language"] == "zh"
    assert {r["feature"]: r for r in chinese.json()["reasons"]}["debt"]["phrase"] == (
        "负债 5000，相对收入过高"
    )
    listed = analyst.get(URL, HTTP_ACCEPT_LANGUAGE="zh")
    assert listed.json()["results"][0]["reasons"][0]["phrase"] in {
        r["phrase"] for r in chinese.json()["reasons"]
    }

    governance_settings_update(tenant=tenant, values={"reason_language": "zh"})
    by_tenant = analyst.get(url)
    assert by_tenant["Content-Language"] == "zh"
    tenants = {r["feature"]: r["phrase"] for r in by_tenant.json()["reasons"]}
    assert tenants["debt"] == "负债 5000，相对收入过高"
    asked_english = analyst.get(url, HTTP_ACCEPT_LANGUAGE="en-GB")
    assert any(r["phrase"].startswith("debt of 5000") for r in asked_english.json()["reasons"])
    # the stored reason keeps the English phrase without a value (batch CSVs, audit)
    stored = Decision.objects.get(pk=created.json()["id"]).reasons
    assert {r["feature"]: r for r in stored}["debt"]["phrase"] == "Debt"


def test_the_tenants_language_is_en_or_zh(tenant):
    with pytest.raises(ValidationError) as refused:
        governance_settings_update(tenant=tenant, values={"reason_language": "fr"})
    assert "reason_language" in refused.value.detail


def test_out_of_distribution_reasons_are_written_in_both_languages(tenant, phrased, analyst):
    governance_settings_update(tenant=tenant, values={"out_of_distribution": "refer"})
    body = analyst.post(
        URL, {"applicant": tiny_applicant(debt=900000.0)}, format="json", HTTP_ACCEPT_LANGUAGE="zh"
    ).json()
    assert body["outcome"] == "refer"
    first = body["reasons"][0]
    assert first["out_of_distribution"] and first["feature"] == "debt"
    assert first["phrase"].startswith("debt 超出训练数据范围") and "900000" in first["phrase"]


# --------------------------------------------------------------------------- explanation


def test_the_explanation_adds_up_to_the_probability_the_api_returns(phrased, analyst):
    body = analyst.post(URL, {"applicant": tiny_applicant()}, format="json").json()
    explained = body["explanation"]
    base, contributions = decision_explanation(Decision.objects.get(pk=body["id"]))
    assert explained["base_value"] == pytest.approx(base)
    assert explained["fx"] == pytest.approx(base + sum(v for _, v in contributions))
    a, b = explained["calibration"]["a"], explained["calibration"]["b"]
    assert 1 / (1 + math.exp(-(a * explained["fx"] + b))) == pytest.approx(body["probability"])
    assert explained["probability"] == pytest.approx(body["probability"])
    assert [c["feature"] for c in explained["contributions"]][0] in {"debt", "income", "region"}
    assert {c["feature"]: c["value"] for c in explained["contributions"]}["region"] == "east"
    assert "log-odds" in explained["units"]
    again = analyst.get(f"{URL}{body['id']}/").json()["explanation"]
    assert again == explained  # recomputed from the stored inputs: the same


def test_the_waterfall_is_drawn_by_shap_with_base_value_and_fx(phrased, analyst):
    body = analyst.post(URL, {"applicant": tiny_applicant()}, format="json").json()
    explained = body["explanation"]
    svg = analyst.get(f"{URL}{body['id']}/waterfall/?picture=svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    content = svg.content.decode()
    assert content.startswith("<svg") and 'width="100%"' in content and "viewBox" in content
    text = _text(content)
    assert f"E[f(X)] = {explained['base_value']:.3f}" in text, text
    assert f"f(x) = {explained['fx']:.3f}" in text, text
    assert "5000 = debt of {value} against the income" not in text
    assert "5000 = Debt" in text and "east = Region" in text  # each feature's value
    png = analyst.get(f"{URL}{body['id']}/waterfall/")
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    refused = analyst.get(f"{URL}{body['id']}/waterfall/?picture=gif")
    assert refused.status_code == 400 and "picture" in refused.json()["errors"]


# --------------------------------------------------------------------------- model card


def _person(user, tenant) -> APIClient:
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_X_TENANT=tenant.slug)
    return client


def test_the_model_card_is_one_self_contained_html_file(tenant, dataset, make_member):
    model = tiny_model(tenant, dataset=dataset, feature_config=FEATURES)
    alice = make_member(tenant, Role.ANALYST, user__username="alice")
    asked = _person(alice, tenant).post(
        f"/api/v1/risk/models/{model.pk}/promote/",
        {"state": "champion", "reason": "beats the scorecard"},
        format="json",
    )
    assert asked.status_code == 202, asked.content
    response = _person(alice, tenant).get(f"/api/v1/risk/models/{model.pk}/model-card/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "attachment" in response["Content-Disposition"]
    html = response.content.decode()
    for section in ("Data", "Features", "Metrics", "Fairness", "Promotion gates", "Approvals"):
        assert f"<h2>{section}</h2>" in html
    assert "Global importance (SHAP)" in html and "<svg" in html and "shap-importance" in html
    assert dataset.digest in html and "负债 {value}，相对收入过高" in html
    assert "beats the scorecard" in html and "alice" in html and "requested" in html
    assert "disparate_impact" in html and "age" in html  # gate and protected attribute
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    assert "<script" not in html and "<link" not in html

    pdf = _person(alice, tenant).get(f"/api/v1/risk/models/{model.pk}/model-card/?as=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    assert len(pages) >= 2
    assert "Model card: tiny:v1" in pages[0].extract_text()
    bad = _person(alice, tenant).get(f"/api/v1/risk/models/{model.pk}/model-card/?as=doc")
    assert bad.status_code == 400 and "as" in bad.json()["errors"]


def test_the_admin_shows_the_card_and_the_explanation(
    client, tenant, other_tenant, phrased, make_member
):
    admin_signed_in(client, make_member(tenant, Role.AUDITOR), tenant)
    page = client.get(f"/admin/financial_risk/riskmodel/{phrased.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h2>Fairness</h2>" in html and "shap-importance" in html
    export = f"/admin/financial_risk/riskmodel/{phrased.pk}/model-card/"
    assert f'href="{export}html/"' in html
    downloaded = client.get(f"{export}html/")
    assert downloaded.status_code == 200 and b"<h2>Metrics</h2>" in downloaded.content
    assert client.get(f"{export}pdf/").content[:5] == b"%PDF-"
    assert client.get(f"{export}docx/").status_code == 404

    decision = decision_create(tenant=tenant, applicant=tiny_applicant())
    page = client.get(f"/admin/financial_risk/decision/{decision.pk}/change/").content.decode()
    assert "shap-waterfall" in page and "decision-explanation" in page
    assert "负债 5000，相对收入过高" in page and "debt of 5000 against the income" in page

    # another tenant's model card is not reachable through the export either
    foreign = tiny_model(other_tenant, dataset=tiny_dataset(other_tenant))
    assert (
        client.get(f"/admin/financial_risk/riskmodel/{foreign.pk}/model-card/html/").status_code
        == 404
    )


def test_the_demo_champions_phrases_cover_every_german_credit_feature():
    _, schema, _ = german_credit()
    config = default_feature_config(schema)
    config["reason_phrases"] = json.loads(DEMO_PHRASES.read_text(encoding="utf-8"))
    cleaned, _ = validate_feature_config(config, schema)
    assert set(cleaned["reason_phrases"]) == set(cleaned["columns"])
    assert all(set(p) == {"en", "zh"} for p in cleaned["reason_phrases"].values())
    assert phrase(cleaned["reason_phrases"], "duration_in_month", 48, "zh") == "贷款期限 48 个月"


def test_a_fraud_models_card_shows_what_its_card_holds(tenant, analyst):
    model = fraud_champion(tenant)
    response = analyst.get(f"/api/v1/risk/models/{model.pk}/model-card/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Other facts</h2>" in html and "time-based" in html  # its validation
    assert "shap-importance" in html and "<h2>Metrics</h2>" in html
    pdf = analyst.get(f"/api/v1/risk/models/{model.pk}/model-card/?as=pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
