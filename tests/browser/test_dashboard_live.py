"""The merchant's dashboard in the browser: the charts draw, the page refreshes itself and says
when, an open table of numbers stays open; the error pages are the site's own, in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flows.models import SyncItem
from flows.modes import Flow
from tests.browser.world import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["orders-24h", "orders-30d", "backlog-24h", "backlog-30d", "flow-health", "payouts"]
LAST_HOUR_RECEIVED = "#numbers-orders-24h tbody tr:last-child td"


def test_dashboard_draws_its_charts_and_refreshes_itself(
    visit, merchant, merchant_customer, consultant, settings
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    integration = build(merchant_customer, consultant)
    tab = visit(merchant, "sv")
    assert tab.open(reverse("dashboard:integration", args=[integration.pk])).status == 200

    for key in CHARTS:
        chart = tab.page.locator(f"#chart-{key}")
        assert chart.get_attribute("data-has-data") == "1", key
        svg = chart.locator("svg[role=img]")
        assert svg.locator("title").first.text_content() == chart.locator("figcaption").inner_text(), key
        # pygal draws bars as rects and line points as circles inside each series group.
        assert svg.locator(".series rect, .series circle, .series path").count() > 0, key
    assert (
        tab.page.locator("#chart-orders-24h figcaption").inner_text()
        == "Order per timme, senaste 24 timmarna"
    )

    tab.page.click("#numbers-orders-24h summary")
    received_before = int(tab.page.locator(LAST_HOUR_RECEIVED).first.inner_text())
    stamp = tab.page.locator(".updated time").get_attribute("datetime")
    assert tab.page.locator(".updated").inner_text().startswith("Uppdaterad ")

    SyncItem.objects.create(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, source_id="new", reference="new"
    )
    tab.page.wait_for_function(
        "([cell, n]) => Number(document.querySelector(cell).textContent) === n",
        arg=[LAST_HOUR_RECEIVED, received_before + 1],
    )
    assert tab.page.locator(".updated time").get_attribute("datetime") != stamp
    assert tab.page.locator("#numbers-orders-24h").get_attribute("open") is not None
    assert tab.errors == []
    tab.page.goto("about:blank")  # no refresh in flight while the database is emptied after the test


@pytest.mark.parametrize(("language", "title"), [("sv", "Sidan finns inte"), ("en", "Page not found")])
def test_error_pages_are_styled_and_translated(visit, merchant, language, title):
    tab = visit(merchant, language)
    response = tab.open("/dashboard/integrations/999999/")
    assert response.status == 404
    assert tab.page.locator(".error-page h1").inner_text() == title
    assert tab.page.locator("header").count() == 1
    assert tab.page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")

    response = tab.open(reverse("admin:overview"))
    assert response.status == 403
    assert (
        tab.page.locator(".error-page h1").inner_text()
        == {"sv": "Ingen åtkomst", "en": "No access"}[language]
    )

    icon = tab.page.request.get(tab.base + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg")
