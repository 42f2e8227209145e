"""The operator console as support uses it: the order page, retry from it, and the look-up.

Orders really go through the shop and Visma simulators; the console is read over the admin.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import translation

from flows import later
from flows.demo.setup import ShopSpec, configure
from flows.engine import runner
from flows.models import Channel, JetshopShop, StatusRule, SyncItem, SyncRun
from flows.modes import Flow
from tests.factories import CustomerFactory, user_in_group
from tests.flows.test_orders_flow import order_spec, transfer
from tests.simulators import AGENT_KEY, AGENT_SECRET

pytestmark = pytest.mark.django_db
STATUS = Flow.VISMA_ORDER_STATUS_TO_SHOP


def order_page(item: SyncItem) -> str:
    return reverse("admin:flows_order_journey", args=[item.integration_id, item.reference])


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def section(html: str, heading: str) -> str:
    """The admin module under ``heading`` (up to the next module)."""
    start = html.index(f"<h2>{heading}</h2>")
    end = html.find('<div class="module">', start)
    return html[start : end if end != -1 else None]


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_order_page_summarises_the_path_of_a_transferred_and_delivered_order(
    client, support, integration, shop, agent, prefix
):
    placed = shop.place(order_spec())[0]
    [item] = transfer(integration)
    agent.deliver(int(item.target_id), tracking=f"PN{prefix}77")
    runner.run_flow(integration.pk, STATUS)
    client.force_login(support)

    html = english(client).get(order_page(item)).content.decode()
    path = section(html, "Path")
    # Received → mapped → in Visma → delivered → e-mail → captured, in that order, each with a time.
    labels = ["Received from the shop", "Mapped", "In Visma", "Delivered", "E-mail sent", "Capture requested"]
    positions = [path.index(f"<strong>{label}</strong>") for label in labels]
    assert positions == sorted(positions)
    assert "not yet" not in path
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", path)) >= len(labels)
    # 2 × 249.00 + 89.90 + 49.00 = 636.90: Visma's total 637.00 with 0.10 öresavrundning.
    assert f"order {item.target_id}, total 637.00 SEK (öre rounding 0.10 SEK)" in path
    assert f"order {item.target_id}, tracking number PN{prefix}77" in path
    assert "to asa@example.se" in path
    # The shop's status call does not say whether anything was charged: never "captured".
    assert "636.90 SEK (KlarnaCheckout) asked of the shop with status Skickad (3)" in path
    assert "Payment captured" not in path
    assert "shop status Skickad (3)" in path
    assert "from Demobutiken" in path and "channel Sverige" in path
    # The detailed steps keep their payloads, folded.
    details = section(html, "Steps in detail")
    # received, mapped, in Visma, shop status; delivered, shop status, e-mail, capture requested
    assert details.count("<details>") == 8
    assert f"PN{prefix}77" in details and "&quot;round_off&quot;: &quot;0.10&quot;" in details
    assert 'id="attention-' not in html and placed["number"] in html

    swedish = client
    swedish.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    assert (
        f"order {item.target_id}, summa 637,00 SEK (öresavrundning 0,10 SEK)"
        in swedish.get(order_page(item)).content.decode()
    )


def test_support_retries_a_parked_order_from_its_page_and_a_merchant_cannot(
    client, support, integration, shop, agent, prefix
):
    # An order from a channel the shop's configuration lacks: parked, and not resumed by itself.
    shop.place(order_spec(channel_id=7))
    [item] = transfer(integration)
    assert (item.status, item.reason, item.result) == (
        "parked",
        "needs_mapping",
        {"kind": "channel", "value": "7"},
    )
    page, retry = order_page(item), reverse("admin:flows_syncitem_retry", args=[item.pk])

    merchant = user_in_group("Merchant", staff=False, username="shop-owner", customer=integration.customer)
    client.force_login(merchant)
    assert client.get(page).status_code == 403
    assert client.post(retry, {"next": page}).status_code == 403

    reader = User.objects.create_user("reader", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_syncitem"))
    client.force_login(reader)
    html = english(client).get(page).content.decode()
    assert "The order matches none of the shop&#x27;s channels (7)." in html
    assert retry not in html, "no button without the permission"
    assert client.post(retry, {"next": page}).status_code == 403
    item.refresh_from_db()
    assert item.status == "parked"

    # The consultant adds the channel; support presses "Retry" on the order page (CSRF checked).
    shop_config = JetshopShop.objects.get(integration=integration)
    Channel.objects.create(shop=shop_config, channel_id="7", name="Outlet", currency="SEK", culture="sv-SE")
    transfer(integration)
    item.refresh_from_db()
    assert item.status == "parked", "a channel is not resumed by itself: a person retries"
    browser = english(Client(enforce_csrf_checks=True))
    browser.force_login(support)
    html = browser.get(page).content.decode()
    assert retry in html
    assert browser.post(retry, {"next": page}).status_code == 403, "no CSRF token, no retry"
    response = browser.post(retry, {"next": page, "csrfmiddlewaretoken": csrf_token(html)}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert "1 item will be retried with the next poll." in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.reason) == ("queued", "")
    assert browser.get(retry).status_code == 405

    transfer(integration)
    item.refresh_from_db()
    assert item.status == "done", item.last_error
    [document] = agent.documents(item.reference)
    html = browser.get(page).content.decode()
    assert 'id="attention-' not in html and f"order {document.number}, total" in html


def test_lookup_by_shop_order_number_with_or_without_prefix_and_by_visma_number(
    client, support, integration, shop, agent, prefix
):
    # Another merchant, whose shop has an order with the same number (here: the same shop, which
    # keeps the order in its status because the first merchant does not move it on).
    JetshopShop.objects.filter(integration=integration).update(transferred_status_id=None)
    other_prefix = f"X{prefix}"
    other = configure(
        CustomerFactory(name="Annan Butik AB"),
        shops=[ShopSpec("Demobutiken", shop.endpoint, reference_prefix=other_prefix)],
        agent_url=agent.base_url,
        key_id=AGENT_KEY,
        secret=AGENT_SECRET,
    )
    # Delivered orders get a shop status whose id no Visma document number here reaches.
    statuses = shop.side("GET", "tables")["order_statuses"]
    delivered = {"id": 9003, "name": "Levererad", "sends_mail": True, "captures": True}
    shop.side("POST", "tables", {"order_statuses": [*statuses, delivered]})
    StatusRule.objects.filter(integration=integration, event="delivered").update(shop_status_id=9003)
    # A shop order number no Visma document number here reaches, so each query means one thing.
    placed = shop.place(order_spec(order_number="880042"))[0]
    [item] = transfer(integration)
    [theirs] = transfer(other)
    agent.deliver(int(item.target_id))
    runner.run_flow(integration.pk, STATUS)
    [status_item] = SyncItem.objects.filter(flow=STATUS, reference=item.reference)
    client.force_login(support)
    lookup = reverse("admin:flows_order_lookup")

    number = placed["number"]
    assert number == "880042"
    for query in (f"{prefix}{number}", f"{prefix.lower()}{number}", f" {item.target_id} "):
        response = client.get(lookup, {"q": query})
        assert (response.status_code, response.get("Location")) == (302, order_page(item)), query
    response = client.get(lookup, {"q": f"{other_prefix}{number}"})
    assert response.get("Location") == order_page(theirs)
    # The plain number is an order of both merchants: both are listed.
    html = english(client).get(lookup, {"q": number}).content.decode()
    assert order_page(item) in html and order_page(theirs) in html and "Annan Butik AB" in html

    # A status item carries the order's reference and a shop status id as its target: not a match.
    assert status_item.target_id == "9003"
    html = client.get(lookup, {"q": status_item.target_id}).content.decode()
    assert "Nothing found." in html and item.reference not in html

    # Without a second merchant, the plain number goes straight to the order.
    other.delete()
    response = client.get(lookup, {"q": number})
    assert response.get("Location") == order_page(item)


def test_item_list_filters_by_error_and_the_item_page_explains_and_offers_retry(
    client, support, integration, shop, agent, prefix
):
    shop.place(order_spec(rows=[{"article_number": "1001", "name": "x", "quantity": 1,
                                 "unit_price_inc_vat": "249.00", "vat": "0.15"}]))  # fmt: skip
    shop.place(order_spec())
    bad, good = transfer(integration)
    assert (bad.status, good.status) == ("parked", "done")
    client.force_login(support)
    english(client)
    changelist = reverse("admin:flows_syncitem_changelist")

    def listed(**params) -> set[str]:
        html = client.get(changelist, params).content.decode()
        return {ref for ref in (bad.reference, good.reference) if f">{ref}<" in html}

    assert listed(has_error="yes") == {bad.reference}
    assert listed(has_error="no") == {good.reference}
    assert listed(reason="needs_mapping", attention="yes") == {bad.reference}
    assert listed() == {bad.reference, good.reference}

    html = client.get(reverse("admin:flows_syncitem_change", args=[bad.pk])).content.decode()
    assert "VAT rate 15 % has no VAT code in Visma." in html
    assert reverse("admin:flows_syncitem_retry", args=[bad.pk]) in html
    assert order_page(bad) in html
    html = client.get(reverse("admin:flows_syncitem_change", args=[good.pk])).content.decode()
    assert reverse("admin:flows_syncitem_retry", args=[good.pk]) not in html, "nothing to retry"


def test_run_pages_show_counts_and_log_for_order_and_catalogue_runs(
    client, support, integration, shop, agent
):
    shop.place(order_spec(payment_method="Swish"))
    transfer(integration)
    orders_run = SyncRun.objects.get(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    stock_run = SyncRun.objects.get(pk=runner.run_flow(integration.pk, Flow.VISMA_STOCK_TO_SHOP).run_id)
    client.force_login(support)
    english(client)

    html = client.get(reverse("admin:flows_syncrun_change", args=[orders_run.pk])).content.decode()
    assert "1 pulled, 1 new" in html
    assert f"?run__id__exact={orders_run.pk}" in html and "1 needs attention" in html
    # The run's log is read in the reader's language (English here), with the plural it needs.
    assert "Demobutiken: 1 order in status 1" in html and "med status" not in html

    html = client.get(reverse("admin:flows_syncrun_change", args=[stock_run.pk])).content.decode()
    assert f"{stock_run.pulled} read, {stock_run.queued} changed" in html
    with translation.override("en"):
        [line] = [line for line in later.read_log(stock_run.log) if " written in " in line]
    assert line in html
    assert client.get(reverse("admin:flows_syncrun_changelist")).status_code == 200
