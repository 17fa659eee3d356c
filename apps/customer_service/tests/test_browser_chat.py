"""Headless Chromium (Debian's chromium + chromium-driver, driven by Selenium) has a
conversation on the customer-service chat page: the assistant asks for the order number (a
form), the next message fills that slot, and a product question gets a grounded answer that
lists its sources. Replies stream over server-sent events from the REST API, with the real
models in-process."""

from __future__ import annotations

import pytest
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from apps.accounts.roles import Role
from apps.customer_service.models import Turn
from apps.customer_service.tests.factories import setup_demo_tenant
from tests.test_browser_knowledge import browser  # noqa: F401  (the shared Chromium fixture)


def send(browser, wait, text: str) -> dict:  # noqa: F811
    before = browser.execute_script("return window.csChat.replies")
    field = browser.find_element(By.ID, "cs-input")
    field.send_keys(text)
    browser.find_element(By.ID, "cs-send").click()
    wait.until(lambda d: d.execute_script("return window.csChat.replies") > before)
    return browser.execute_script("return window.csChat.last")


@pytest.mark.django_db(transaction=True)
def test_a_conversation_fills_a_slot_and_gets_a_grounded_answer_with_sources(
    browser,  # noqa: F811
    live_server,
    tenant,
    make_member,
    settings,
):
    settings.CUSTOMER_SERVICE_REPLY_MAX_NEW_TOKENS = 12
    setup_demo_tenant(tenant)
    user = make_member(tenant, Role.AGENT)
    session = Client()
    session.force_login(user)
    browser.get(f"{live_server.url}/healthz")  # a page of the site, to set its cookie on
    browser.add_cookie(
        {"name": "sessionid", "value": session.cookies["sessionid"].value, "path": "/"}
    )
    browser.get(f"{live_server.url}/customer-service/chat/")
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: d.execute_script("return !!window.csChat"))

    asked = send(browser, wait, "Where is my order?")
    assert asked["intent"] == "order_status" and asked["requested_slot"] == "order_number"
    bubbles = browser.find_elements(By.CSS_SELECTOR, "#cs-transcript li.cs-assistant .cs-text")
    assert "order number" in bubbles[-1].text

    filled = send(browser, wait, "10023")
    assert filled["slots"]["order_number"] == "10023"
    assert "shipped" in browser.find_elements(By.CSS_SELECTOR, "li.cs-assistant .cs-text")[-1].text

    grounded = send(browser, wait, "Is the StormShell rain jacket waterproof?")
    assert grounded["intent"] == "product_question" and grounded["reply"]
    shown = [
        item.text
        for item in browser.find_elements(By.CSS_SELECTOR, "li.cs-assistant")[-1].find_elements(
            By.CSS_SELECTOR, ".cs-sources li"
        )
    ]
    assert "product:stormshell" in shown and shown == grounded["sources"]
    answer = browser.find_elements(By.CSS_SELECTOR, "li.cs-assistant .cs-text")[-1].text
    assert answer == grounded["reply"]  # the streamed text is the stored reply
    conversation = browser.find_element(By.ID, "cs-chat").get_attribute("data-conversation")
    assert Turn.objects.filter(conversation_id=conversation).count() == 6
