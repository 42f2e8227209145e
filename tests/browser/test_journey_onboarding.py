"""A consultant takes a new merchant live from nothing, in the browser, in Swedish and in English:
the merchant, the integration with its Jetshop shop and Visma agent (pointed at the simulators on
loopback), the go-live check run again and again until every line is green, each red line fixed
as it says, and the first order arriving on the console's pages and in Visma.

Every step the consultant takes is a click or typed text on the real pages, down to running the
orders schedule now from the schedules page, which a real Celery worker takes; only the customer
placing an order in the shop is played by the test. Every page the consultant passes through is
measured at 1,280 px (``Visitor.too_wide``)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from django.urls import reverse

from flows.engine.schedules import task_name
from flows.models import GoLiveCheck, Integration, SyncItem
from flows.modes import Flow
from sharespine.celery import app
from sharespine.customers.models import Customer
from tests.browser.steps import add_inline_row, choose_in_autocomplete, follow
from tests.e2e.conftest import Worker
from tests.flows.test_orders_flow import order_spec
from tests.simulators import AGENT_KEY, AGENT_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The status overview's orders in Visma over the last 24 hours: the second number of each hour's row
# in its table of orders per hour, added up (the order may cross an hour's boundary on its way).
IN_VISMA_TODAY = """() => [...document.querySelectorAll('#numbers-orders-24h tbody tr')]
    .reduce((sum, row) => sum + Number(row.querySelector('td:nth-of-type(2)')?.textContent || 0), 0)"""
# What the consultant reads, in each language: the page's words, not the message ids.
WORDS = {
    "sv": {
        "all_green": "Allt grönt",
        "not_ready": "Inte klar",
        "statuses": "statusregler och startstatusar pekar på statusar som finns",
        "no_trigger": "Mottagen",
        "methods": "Varje betal- och leveranssätt som butiken använder är kopplat",
        "not_mapped": "Inte kopplat",
    },
    "en": {
        "all_green": "All green",
        "not_ready": "Not ready",
        "statuses": "status rules and triggers point at existing statuses",
        "no_trigger": "Mottagen",
        "methods": "Every payment and delivery method the shop uses is mapped",
        "not_mapped": "Not mapped",
    },
}


def save(page, button: str = "_continue") -> None:
    """Press a save button and wait for the page it leads to; the admin says it saved."""
    follow(page, f"input[name={button}]")
    errors = page.locator(".errornote, .errorlist").all_inner_texts()
    assert not errors, errors
    assert page.locator(".messagelist .success").count() >= 1


def run_golive(page) -> dict[str, list[str]]:
    """Press the run button on the go-live page; the lines by colour, each as the row's text."""
    follow(page, "form[action$='/go-live/run/'] input[type=submit]")
    rows = {"green": [], "red": [], "unchecked": []}
    for colour in rows:
        rows[colour] = page.locator(f"#golive-lines tr.golive-{colour}").all_inner_texts()
    return rows


@pytest.fixture
def worker() -> Iterator[Worker]:
    """A real Celery worker on the test's Redis and database, started while the consultant types."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("REDIS_URL must point at the test Redis: the worker takes the schedule's task from it")
    app.control.purge()
    running = Worker().start()
    yield running
    running.stop()


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_consultant_takes_a_merchant_live_from_nothing(
    visit, consultant, shop, agent, worker, settings, language
):
    settings.DASHBOARD_REFRESH_SECONDS = 1
    words = WORDS[language]
    tab = visit(consultant, language)
    page = tab.page
    tab.open(reverse("admin:index"))

    # The merchant.
    follow(page, f"a[href='{reverse('admin:customers_customer_add')}']")
    page.fill("#id_name", "Nya Butiken AB")
    page.fill("#id_org_number", "5561234567")
    save(page, "_save")
    merchant = Customer.objects.get(name="Nya Butiken AB")
    assert merchant.org_number == "556123-4567"

    # The integration, its Visma agent and its Jetshop shop on one page.
    tab.open(reverse("admin:index"))
    follow(page, f"a[href='{reverse('admin:flows_integration_add')}']")
    choose_in_autocomplete(page, "customer", "Nya Butiken AB")
    page.fill("#id_name", "Webbshop")
    page.select_option("#id_flow_mode", "erp")
    page.check("#id_live")
    page.select_option("#id_agent-0-mode", "direct")
    page.fill("#id_agent-0-agent_url", agent.base_url)
    page.fill("#id_agent-0-key_id", AGENT_KEY)
    page.fill("#id_agent-0-secret", AGENT_SECRET)
    row = add_inline_row(page, "shops")
    page.fill(f"#id_shops-{row}-name", "Nya Butiken")
    page.fill(f"#id_shops-{row}-endpoint_url", shop.endpoint)
    page.fill(f"#id_shops-{row}-username", "sim")
    page.fill(f"#id_shops-{row}-password", "sim")
    page.fill(f"#id_shops-{row}-shop_id_header", "demo")
    save(page)
    integration = Integration.objects.get(customer=merchant)
    change_url = reverse("admin:flows_integration_change", args=[integration.pk])
    assert page.url.endswith(change_url)

    # A customer orders in the shop before the integration is live: it waits in status Mottagen.
    [placed] = shop.place(order_spec())

    # First check: the shop answers and Visma is there, but no status starts an order.
    follow(page, f"a[href='{reverse('admin:flows_integration_golive', args=[integration.pk])}']")
    lines = run_golive(page)
    assert page.locator("#golive-summary").inner_text().startswith(words["not_ready"])
    assert len(lines["red"]) == 1 and words["statuses"] in lines["red"][0], lines["red"]
    assert words["no_trigger"] in lines["red"][0]  # the fix names the status to add
    # No order can be seen without a trigger: which methods the shop uses is not known yet, and
    # the line says so instead of passing.
    assert len(lines["unchecked"]) == 1 and words["methods"] in lines["unchecked"][0], lines["unchecked"]

    # The fix: the shop's page, a channel and the trigger status, chosen by name now that the check
    # has read the shop's statuses.
    tab.open(change_url)
    follow(page, "#shops-group td.field-edit_link a")
    row = add_inline_row(page, "channels")
    page.fill(f"#id_channels-{row}-channel_id", "1")
    page.fill(f"#id_channels-{row}-name", "Sverige")
    row = add_inline_row(page, "order_triggers")
    page.select_option(f"#id_order_triggers-{row}-status_id", label="1 – Mottagen")
    page.fill(f"#id_order_triggers-{row}-name", "Mottagen")
    save(page)

    # Second check: now the waiting order is seen, and its payment and delivery are not mapped.
    tab.open(reverse("admin:flows_integration_golive", args=[integration.pk]))
    lines = run_golive(page)
    assert len(lines["red"]) == 1 and words["methods"] in lines["red"][0], lines["red"]
    assert words["not_mapped"] in lines["red"][0]
    assert "KlarnaCheckout" in lines["red"][0] and "PostNord MyPack" in lines["red"][0]

    # The fix: two method mappings on the integration page, to Visma's codes offered by name.
    follow(page, f".breadcrumbs a[href='{change_url}']")
    for kind, value, code in (("payment", "KlarnaCheckout", "K"), ("delivery", "PostNord MyPack", "P")):
        row = add_inline_row(page, "method_mappings")
        page.select_option(f"#id_method_mappings-{row}-kind", kind)
        page.fill(f"#id_method_mappings-{row}-shop_value", value)
        page.select_option(f"#id_method_mappings-{row}-visma_code", code)
    save(page)

    # Third check: every line green, kept with its time and who ran it.
    follow(page, f"a[href='{reverse('admin:flows_integration_golive', args=[integration.pk])}']")
    lines = run_golive(page)
    assert lines["red"] == [] and lines["unchecked"] == []
    assert len(lines["green"]) == 13
    summary = page.locator("#golive-summary").inner_text()
    assert summary.startswith(words["all_green"]) and summary.endswith(consultant.username), summary
    assert GoLiveCheck.objects.filter(integration=integration).first().ok

    # Green: the consultant switches the integration on (a new one starts off) and its schedules start.
    follow(page, f".breadcrumbs a[href='{change_url}']")
    page.check("#id_enabled")
    save(page)
    integration.refresh_from_db()
    assert integration.enabled

    # The consultant runs the orders schedule now rather than wait a minute for it (a real Celery
    # worker takes it) and watches the status overview, which refreshes itself, until the order
    # is in Visma.
    tab.open(reverse("admin:index"))
    follow(page, f"a[href='{reverse('admin:django_celery_beat_periodictask_changelist')}']")
    page.fill("#searchbar", task_name(integration.pk, Flow.SHOP_ORDERS_TO_VISMA))
    follow(page, "#changelist-search input[type=submit]")
    page.check("#result_list input.action-select")
    page.select_option("select[name=action]", "run_tasks")
    follow(page, "button[name=index]")
    # Beat's own message ("1 task was successfully run"), at its level: info.
    assert page.locator(".messagelist li").evaluate_all("items => items.map(i => i.className)") == ["info"]
    follow(page, f"#user-tools a[href='{reverse('admin:overview')}']")
    page.click("#numbers-orders-24h summary")
    page.wait_for_function(f"({IN_VISMA_TODAY})() === 1", timeout=90_000)
    fit = tab.overflow()  # the overview swapped in by its refresh fits too
    assert fit["width"] <= fit["view"] and fit["cut"] == []
    [document] = agent.documents(placed["number"])
    assert document.kind == "order"

    # The consultant finds the order by its shop number and sees it reached Visma.
    follow(page, f"#user-tools a[href='{reverse('admin:flows_order_lookup')}']")
    page.fill("#q", placed["number"])
    with page.expect_navigation():
        page.press("#q", "Enter")
    # One match opens the order's page: its path to Visma, with the document's number.
    assert page.url == tab.base + reverse(
        "admin:flows_order_journey", args=[integration.pk, placed["number"]]
    )
    assert str(document.number) in page.inner_text("#content")
    # … and in the list of sync items, done.
    tab.open(reverse("admin:flows_syncitem_changelist"))
    rows = page.locator("#result_list tbody tr").all_inner_texts()
    assert len(rows) == 1 and placed["number"] in rows[0]
    assert SyncItem.objects.get().status == SyncItem.Status.DONE
    assert re.search(rf"\b{document.number}\b", rows[0]), rows[0]

    assert tab.too_wide() == []
    visited = {fit["path"].split("?")[0] for fit in tab.measured()}
    assert len(visited) >= 8, visited
