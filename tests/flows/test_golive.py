"""The go-live page as consultant and support use it: the check against the shop and Visma
simulators over HTTP, the codes offered by name, and the orders the look-back window leaves out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from flows.engine import runner
from flows.models import GoLiveCheck, OlderOrders, SyncItem
from flows.modes import Flow
from tests.adminforms import integration_post
from tests.flows.test_orders_flow import order_spec, transfer
from tests.simulators import free_port

pytestmark = pytest.mark.django_db(transaction=True)

SWEDEN_PRICE_LIST = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"  # the simulator's Swedish channel's
NO_SUCH_PRICE_LIST = "f2585a2d-452f-45eb-9cb1-9080134ce0c9"


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def golive_url(integration, view: str = "golive") -> str:
    return reverse(f"admin:flows_integration_{view}", args=[integration.pk])


def run_check(client, integration) -> dict[str, dict]:
    """POST the run button; the kept lines by key, each with its text as the page shows it."""
    response = client.post(golive_url(integration, "golive_run"))
    assert response.status_code == 302, response.status_code
    check = GoLiveCheck.objects.filter(integration=integration).first()
    assert check is not None
    return {line["key"]: line for line in check.lines}


def row(html: str, title: str) -> str:
    """The page's table row whose question starts with ``title``."""
    match = re.search(
        r'<tr class="golive-\w+">(?:(?!</tr>).)*?<td>' + re.escape(title) + r"(?:(?!</tr>).)*</tr>",
        html,
        re.S,
    )
    assert match, title
    return match.group(0)


def empty_shop(shop):
    """The shop's tables (channels, statuses) without the demo seed's orders of January."""
    shop.side("POST", "reset", {"seed": "empty"})
    return shop


def days_ago(days: int) -> str:
    return (timezone.localtime() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")


# --- choices by name --------------------------------------------------------------------------------


def test_refresh_offers_visma_and_shop_codes_by_name_and_names_what_is_missing(
    client, consultant, integration
):
    client = english(client)
    client.force_login(consultant)
    change = reverse("admin:flows_integration_change", args=[integration.pk])
    before = client.get(change).content.decode()
    assert 'name="method_mappings-0-visma_code"' in before and "K – Kort" not in before

    response = client.post(golive_url(integration, "refresh_choices"), follow=True)
    assert "Choices refreshed from Visma and the shop." in response.content.decode()

    html = client.get(change).content.decode()
    # Visma's terms of payment and ways of delivery, the shop's statuses and price lists, by name.
    assert re.search(r'<select name="method_mappings-\d+-visma_code"', html)
    for option in (
        "K – Kort",
        "F – Faktura",
        "P – Post",
        "H – Hämtas",
        "3 – Skickad",
        "4 – Makulerad",
        "2 – Återförsäljare",
        "Sverige (SEK) (7c7dfec3-2312-4dc9-a74f-913f3da0c686)",
    ):
        assert option in html, option
    # The demo's B2B price list is no channel's price list in the shop: shown, and named missing.
    assert "f2585a2d-452f-45eb-9cb1-9080134ce0c9 – missing" in html
    page = client.get(golive_url(integration)).content.decode()
    assert "Visma terms of payment" in page and "Demobutiken: shop order statuses" in page


def test_a_code_the_other_side_lacks_is_refused_by_name_and_one_it_has_is_saved(
    client, consultant, integration
):
    client = english(client)
    client.force_login(consultant)
    client.post(golive_url(integration, "refresh_choices"))
    change = reverse("admin:flows_integration_change", args=[integration.pk])

    wrong = integration_post(
        integration,
        inlines={
            "method_mappings": [{"kind": "payment", "shop_value": "Swish", "visma_code": "SW"}],
            "status_rules": [{"event": "invoiced", "shop_status_id": "9"}],
        },
    )
    html = client.post(change, wrong).content.decode()
    assert "Visma has no terms-of-payment code &#x27;SW&#x27; (read " in html
    assert "Demobutiken has no order status &#x27;9&#x27; (read " in html
    assert not integration.method_mappings.filter(shop_value="Swish").exists()

    right = integration_post(
        integration,
        inlines={
            "method_mappings": [{"kind": "payment", "shop_value": "Swish", "visma_code": "K"}],
            "status_rules": [{"event": "invoiced", "shop_status_id": "2"}],
        },
    )
    assert client.post(change, right).status_code == 302
    assert integration.method_mappings.get(shop_value="Swish").visma_code == "K"
    # A delivery method is checked against the ways of delivery, not the terms of payment.
    wrong_kind = integration_post(
        integration,
        inlines={
            "method_mappings": [{"kind": "delivery", "shop_value": "Budbee", "visma_code": "K"}],
        },
    )
    refused = client.post(change, wrong_kind).content.decode()
    assert "Visma has no way-of-delivery code &#x27;K&#x27;" in refused


def test_a_refresh_that_cannot_reach_visma_says_so_and_keeps_the_lists_read_before(
    client, consultant, integration
):
    client = english(client)
    client.force_login(consultant)
    client.post(golive_url(integration, "refresh_choices"))
    read_before = integration.live_choices.get(kind="terms-of-payment").fetched_at
    integration.agent.agent_url = f"http://127.0.0.1:{free_port()}"
    integration.agent.save()

    html = client.post(golive_url(integration, "refresh_choices"), follow=True).content.decode()
    assert "Not refreshed: Visma:" in html
    assert integration.live_choices.get(kind="terms-of-payment").fetched_at == read_before
    assert integration.live_choices.get(kind="order-status").fetched_at > read_before  # the shop answered


# --- the go-live check --------------------------------------------------------------------------------


def test_a_ready_integration_is_all_green_and_the_result_is_kept_with_its_time(
    client, support, integration, shop
):
    empty_shop(shop).place(order_spec())
    client = english(client)
    client.force_login(support)
    lines = run_check(client, integration)

    assert all(line["ok"] is True for line in lines.values()), [k for k, v in lines.items() if not v["ok"]]
    shop_pk = integration.shops.get().pk
    assert {
        f"shop-{shop_pk}-login",
        f"shop-{shop_pk}-wsdl",
        f"shop-{shop_pk}-statuses",
        f"shop-{shop_pk}-lookback",
        "agent-reachable",
        "agent-signature",
        "agent-clock",
        "agent-version",
        "visma-variant",
        "visma-api",
        "methods",
        "vat",
        "accounts",
        "price-lists",
    } == set(lines)
    check = GoLiveCheck.objects.get(integration=integration)
    assert check.ok and check.ran_by == support
    html = client.get(golive_url(integration)).content.decode()
    assert "All green" in html and "by support" in html
    assert "Visma Administration 2000" in row(html, "Visma program")
    assert "Rates in use: 12 %, 25 %" in row(html, "Visma VAT codes cover")
    page = client.get(reverse("admin:flows_integration_change", args=[integration.pk])).content.decode()
    assert "all green" in page
    # Swedish on the same kept result.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert "Visma-agenten nås" in client.get(golive_url(integration)).content.decode()


def test_wrong_shop_credentials_are_red_with_the_fix_and_the_shop_lines_wait(client, consultant, integration):
    shop = integration.shops.get()
    shop.password = "fel-lösenord"
    shop.save()
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    login = lines[f"shop-{shop.pk}-login"]
    assert login["ok"] is False
    html = client.get(golive_url(integration)).content.decode()
    assert "Not ready" in html
    assert "web-service user name and password" in row(html, "Shop Demobutiken: credentials")
    for key in ("wsdl", "statuses", "lookback"):
        assert lines[f"shop-{shop.pk}-{key}"]["ok"] is None
    assert "Not checked: the shop did not answer." in row(html, "Shop Demobutiken: every operation")


def test_an_operation_missing_from_the_wsdl_is_named(client, consultant, integration):
    shop = integration.shops.get()
    shop.op_order_get = "Order_GetById"
    shop.save()
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    assert lines[f"shop-{shop.pk}-wsdl"]["ok"] is False
    html = client.get(golive_url(integration)).content.decode()
    assert "Not offered by the shop: Order_GetById" in row(html, "Shop Demobutiken: every operation")
    assert lines[f"shop-{shop.pk}-login"]["ok"] is True


def test_an_offline_agent_is_red_and_the_visma_lines_wait(client, consultant, integration):
    integration.agent.agent_url = f"http://127.0.0.1:{free_port()}"
    integration.agent.save()
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    assert lines["agent-reachable"]["ok"] is False
    assert all(
        lines[k]["ok"] is None for k in ("agent-signature", "agent-clock", "agent-version", "visma-api")
    )
    html = client.get(golive_url(integration)).content.decode()
    assert "Start the Visma agent service" in row(html, "Visma agent reachable")
    assert "Not checked: Visma" in row(html, "Visma VAT codes cover")


def test_a_refused_signature_is_red_with_the_fix(client, consultant, integration):
    integration.agent.secret = "not-the-agents-secret-000000"
    integration.agent.save()
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    assert lines["agent-reachable"]["ok"] is True
    assert lines["agent-signature"]["ok"] is False and lines["agent-clock"]["ok"] is None
    html = client.get(golive_url(integration)).content.decode()
    signature = row(html, "Visma agent accepts our signature")
    assert "Refused: " in signature and "request refused" in signature and "key id and secret" in signature
    assert "clock right" in signature


def test_unmapped_methods_missing_statuses_uncovered_rates_and_old_orders_are_each_named(
    client, consultant, integration, shop
):
    empty_shop(shop)
    swish = shop.place(order_spec(payment_method="Swish"))[0]
    rate = shop.place(
        order_spec(
            rows=[
                {
                    "article_number": "1001",
                    "name": "Mössa",
                    "quantity": 1,
                    "unit_price_inc_vat": "115.00",
                    "vat": "0.15",
                }
            ]
        )
    )[0]
    old = shop.place(order_spec(order_date=days_ago(45)), order_spec(order_date=days_ago(40)))
    integration.status_rules.filter(event="delivered").update(shop_status_id=9)
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    html = client.get(golive_url(integration)).content.decode()

    shop_pk = integration.shops.get().pk
    assert {k for k, line in lines.items() if line["ok"] is False} == {
        "methods",
        f"shop-{shop_pk}-statuses",
        "vat",
        f"shop-{shop_pk}-lookback",
    }
    assert f"Swish ({swish['number']})" in row(html, "Every payment and delivery method")
    assert "The shop has no status delivered → 9." in row(html, "Shop Demobutiken: status rules")
    assert "3 Skickad" in row(html, "Shop Demobutiken: status rules")  # the fix offers the real ones
    assert f"No Visma VAT code for 15 % (orders {rate['number']})" in row(html, "Visma VAT codes cover")
    lookback = row(html, "Shop Demobutiken: the look-back window")
    numbers = f"{old[0]['number']}, {old[1]['number']}"
    assert f"Open orders placed before the 30-day window, never fetched: 2 ({numbers})" in lookback
    assert "raise the look-back to 46 days" in lookback


# --- orders outside the look-back window --------------------------------------------------------------


def test_old_orders_are_shown_and_fetched_once_through_the_orders_flow(
    client, consultant, merchant_customer, merchant, integration, shop, agent, prefix
):
    empty_shop(shop)
    old = shop.place(order_spec(order_date=days_ago(45)), order_spec(order_date=days_ago(40)))
    new = shop.place(order_spec())[0]
    # The orders flow pulls the new order only, and notes the two it leaves out.
    assert [item.reference for item in transfer(integration)] == [f"{prefix}{new['number']}"]
    found = OlderOrders.objects.get(shop__integration=integration)
    assert [r["number"] for r in found.orders] == [o["number"] for o in old]

    # The integration page and the merchant's dashboard say so, naming them.
    client = english(client)
    client.force_login(consultant)
    page = client.get(reverse("admin:flows_integration_change", args=[integration.pk])).content.decode()
    assert "2 orders in a trigger status placed before the look-back window are never fetched" in page
    assert old[0]["number"] in page
    integration.customer = merchant_customer
    integration.save()
    client.force_login(merchant)
    dashboard = client.get(reverse("dashboard:integration", args=[integration.pk])).content.decode()
    warning = "Demobutiken: 2 orders wait in the shop since before the 30-day look-back and are not fetched"
    assert warning in dashboard
    assert "Everything is flowing" not in dashboard

    client.force_login(consultant)
    since = (timezone.localdate() - timedelta(days=50)).isoformat()
    shop_pk = integration.shops.get().pk
    response = client.post(golive_url(integration, "fetch_older"), {"shop": shop_pk, "since": since})
    assert response.status_code == 302
    assert "fetching the orders placed since" in client.get(golive_url(integration)).content.decode()

    fetched = transfer(integration)
    assert sorted(i.reference for i in fetched) == sorted(f"{prefix}{o['number']}" for o in old)
    assert all(i.status == SyncItem.Status.DONE for i in fetched), [i.last_error for i in fetched]
    found.refresh_from_db()
    assert found.fetched_count == 2 and found.orders == [] and not found.fetch_pending
    # Once: the next runs read the usual window again and nothing comes twice.
    assert transfer(integration) == [] and transfer(integration) == []
    early = [c for c in shop.calls("Order_GetByStatus") if f"<fromDate>{since}" in c["request"]]
    assert len(early) == 1
    for order in old:
        assert len(agent.documents(f"{prefix}{order['number']}")) == 1
    assert "never fetched" not in client.get(golive_url(integration)).content.decode()


def test_a_fetch_date_in_the_future_or_too_far_back_is_refused(client, consultant, integration, shop):
    empty_shop(shop).place(order_spec(order_date=days_ago(45)))
    runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    client = english(client)
    client.force_login(consultant)
    shop_pk = integration.shops.get().pk
    for since, error in (
        ((timezone.localdate() + timedelta(days=1)).isoformat(), "The date is in the future."),
        ((timezone.localdate() - timedelta(days=400)).isoformat(), "At most 366 days back."),
    ):
        html = client.post(
            golive_url(integration, "fetch_older"), {"shop": shop_pk, "since": since}
        ).content.decode()
        assert error in html
    assert not OlderOrders.objects.get(shop_id=shop_pk).fetch_pending


# --- roles ----------------------------------------------------------------------------------------------


def test_consultant_and_support_run_the_check_a_merchant_cannot(
    client, consultant, support, merchant, merchant_customer, integration
):
    integration.customer = merchant_customer
    integration.save()
    client.force_login(merchant)
    for view in ("golive", "golive_run", "refresh_choices", "fetch_older"):
        response = client.post(golive_url(integration, view), {"shop": 1, "since": "2026-01-01"})
        # The admin sends a visitor without staff rights to log in, or refuses outright.
        assert response.status_code in (302, 403) and "/login/" in response.get("Location", "/login/"), view
    assert not GoLiveCheck.objects.exists() and not integration.live_choices.exists()

    client.force_login(support)
    assert client.get(golive_url(integration)).status_code == 200
    assert client.post(golive_url(integration, "refresh_choices")).status_code == 403
    shop_pk = integration.shops.get().pk
    assert (
        client.post(
            golive_url(integration, "fetch_older"), {"shop": shop_pk, "since": "2026-01-01"}
        ).status_code
        == 403
    )
    assert not OlderOrders.objects.filter(fetch_since__isnull=False).exists()
    run_check(client, integration)

    client = english(client)
    client.force_login(consultant)
    run_check(client, integration)
    assert GoLiveCheck.objects.filter(integration=integration).count() == 2
    html = client.get(golive_url(integration)).content.decode()
    assert "Refresh from Visma and Jetshop" in html and "Run the go-live check" in html


def test_no_order_yet_leaves_the_methods_unchecked_not_green(client, consultant, integration, shop):
    empty_shop(shop)
    client = english(client)
    client.force_login(consultant)
    lines = run_check(client, integration)
    assert lines["methods"]["ok"] is None
    html = client.get(golive_url(integration)).content.decode()
    methods = row(html, "Every payment and delivery method")
    assert "golive-unchecked" in methods and "Place a test order in the shop" in methods
    assert "Not ready" in html


def test_price_list_mappings_are_checked_against_visma_and_a_guid_no_channel_uses_is_named(
    client, consultant, integration, shop
):
    empty_shop(shop).place(order_spec())
    integration.price_list_mappings.all().delete()
    integration.price_list_mappings.create(visma_price_list="1", jetshop_price_list_guid=SWEDEN_PRICE_LIST)
    integration.price_list_mappings.create(visma_price_list="77", jetshop_price_list_guid=NO_SUCH_PRICE_LIST)
    client = english(client)
    client.force_login(consultant)
    assert run_check(client, integration)["price-lists"]["ok"] is False
    line = row(client.get(golive_url(integration)).content.decode(), "Price-list mappings point at")
    assert "Visma has no price list 77." in line
    assert f"No channel of the shop uses {NO_SUCH_PRICE_LIST}" in line and SWEDEN_PRICE_LIST not in line

    # A code Visma has: green, and the GUID no channel uses is still named for the consultant to check.
    integration.price_list_mappings.filter(visma_price_list="77").update(visma_price_list="2")
    assert run_check(client, integration)["price-lists"]["ok"] is True
    line = row(client.get(golive_url(integration)).content.decode(), "Price-list mappings point at")
    assert f"Mappings checked: 2. No channel of the shop uses {NO_SUCH_PRICE_LIST}" in line


def test_order_numbers_are_named_in_numeric_order(client, consultant, integration, shop):
    empty_shop(shop)
    placed = shop.place(*[order_spec(payment_method="Swish") for _ in range(12)])
    client = english(client)
    client.force_login(consultant)
    run_check(client, integration)
    methods = row(client.get(golive_url(integration)).content.decode(), "Every payment and delivery method")
    numbers = [int(p["number"]) for p in placed]
    assert "Swish (" + ", ".join(str(n) for n in sorted(numbers)[:10]) + " …)" in methods
