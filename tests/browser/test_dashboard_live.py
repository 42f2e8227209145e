"""The merchant's dashboard in the browser, in Swedish and English: the charts draw, the page
refreshes itself and says when, an open table of numbers stays open, and nothing of another
merchant can be reached or is shown; the error pages are the site's own, in both languages. Every
page is measured at 1,280 px, the dashboard again after it has refreshed itself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flows.models import SyncItem
from flows.modes import Flow
from tests.browser.world import build
from tests.factories import ChannelFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["orders-24h", "orders-30d", "backlog-24h", "backlog-30d", "flow-health", "payouts"]
LAST_HOUR_RECEIVED = "#numbers-orders-24h tbody tr:last-child td"
WORDS = {
    "sv": {"orders-24h": "Order per timme, senaste 24 timmarna", "updated": "Uppdaterad "},
    "en": {"orders-24h": "Orders per hour, last 24 hours", "updated": "Updated "},
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_dashboard_draws_its_charts_and_refreshes_itself(
    visit, merchant, merchant_customer, consultant, settings, language
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    integration = build(merchant_customer, consultant)
    tab = visit(merchant, language)
    assert tab.open(reverse("dashboard:integration", args=[integration.pk])).status == 200

    for key in CHARTS:
        chart = tab.page.locator(f"#chart-{key}")
        assert chart.get_attribute("data-has-data") == "1", key
        svg = chart.locator("svg[role=img]")
        assert svg.locator("title").first.text_content() == chart.locator("figcaption").inner_text(), key
        # pygal draws bars as rects and line points as circles inside each series group.
        assert svg.locator(".series rect, .series circle, .series path").count() > 0, key
    assert tab.page.locator("#chart-orders-24h figcaption").inner_text() == WORDS[language]["orders-24h"]

    tab.page.click("#numbers-orders-24h summary")
    received_before = int(tab.page.locator(LAST_HOUR_RECEIVED).first.inner_text())
    stamp = tab.page.locator(".updated time").get_attribute("datetime")
    assert tab.page.locator(".updated").inner_text().startswith(WORDS[language]["updated"])

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
    # The refreshed page still fits (it is swapped in without a load, so measured here).
    fit = tab.overflow()
    assert fit["width"] <= fit["view"] and fit["cut"] == []
    assert tab.too_wide() == []
    tab.page.goto("about:blank")  # no refresh in flight while the database is emptied after the test


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_merchant_cannot_reach_another_merchants_pages(
    visit, merchant, merchant_customer, consultant, language
):
    """Every way in to the other merchant's things, typed as a URL, is refused (404 on the
    dashboard: it does not even say they exist; 403 in the console, which is staff's), and no page
    the merchant sees names anything of theirs."""
    own = build(merchant_customer, consultant)
    other = ChannelFactory(
        shop__integration__customer=CustomerFactory(name="Annan Handlare AB"),
        shop__integration__name="Annans webbshop",
        shop__name="Annans butik",
    ).shop.integration
    other.items.create(flow=Flow.SHOP_ORDERS_TO_VISMA, source_id="ANNAN-1", reference="ANNAN-1")
    theirs = ["Annan Handlare", "Annans webbshop", "Annans butik", "ANNAN-1"]
    tab = visit(merchant, language)

    # The merchant's own pages, reached by clicking, show only their own merchant.
    assert tab.open(reverse("dashboard:home")).status == 200
    with tab.page.expect_navigation():
        tab.page.click(f"a[href='{reverse('dashboard:customer', args=[merchant_customer.pk])}']")
    with tab.page.expect_navigation():
        tab.page.click(f"a[href='{reverse('dashboard:integration', args=[own.pk])}']")
    assert str(own) in tab.text()

    refused = {
        reverse("dashboard:customer", args=[other.customer_id]): 404,
        reverse("dashboard:integration", args=[other.pk]): 404,
        reverse("admin:flows_integration_change", args=[other.pk]): 403,
        reverse("admin:customers_customer_change", args=[other.customer_id]): 403,
        reverse("admin:flows_order_journey", args=[other.pk, "ANNAN-1"]): 403,
        reverse("admin:flows_syncitem_changelist") + "?q=ANNAN-1": 403,
        reverse("admin:flows_attention_queue") + f"?integration={other.pk}": 403,
    }
    for path, status in refused.items():
        assert tab.open(path).status == status, path
        shown = tab.text()
        assert not [name for name in theirs if name in shown], path
    for path in (reverse("dashboard:home"), reverse("dashboard:customer", args=[merchant_customer.pk])):
        tab.open(path)
        shown = tab.text()
        assert not [name for name in theirs if name in shown], path
    assert tab.too_wide() == []
    assert len(tab.measured()) == 3 + len(refused) + 2


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
