"""Order status from Visma back to the shop: one status change, one e-mail, one capture per event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connectors.visma import protocol as P
from flows.engine import runner
from flows.models import ExternalRef, JourneyStep, MethodMapping, SyncItem
from flows.modes import Flow
from reconciliation.close import Difference, daily_close
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db(transaction=True)
STATUS = Flow.VISMA_ORDER_STATUS_TO_SHOP


def poll_status(integration) -> list[SyncItem]:
    result = runner.run_flow(integration.pk, STATUS)
    return list(SyncItem.objects.filter(run_id=result.run_id).order_by("id"))


def test_delivery_in_visma_sets_the_shop_status_with_tracking_one_email_and_one_capture(
    integration, shop, agent, prefix
):
    placed = shop.place(order_spec())[0]
    [order_item] = transfer(integration)
    agent.deliver(int(order_item.target_id), tracking=f"PN{prefix}123")
    items = poll_status(integration)
    mine = [i for i in items if i.reference == order_item.reference]
    assert [(i.payload["event"], i.status) for i in mine] == [("delivered", "done")]

    order = shop.order(placed["id"])
    assert order["status_id"] == 3
    assert order["tracking_numbers"] == [f"PN{prefix}123"]
    assert len(order["emails"]) == 1 and len(order["captures"]) == 1
    steps = list(JourneyStep.objects.filter(order_ref=order_item.reference).values_list("step", flat=True))
    assert steps[-4:] == ["delivered", "shop_status", "email", "capture_requested"]

    # The same event again (a repeated feed), and a crash after the shop call: no second effect.
    again = SyncItem.objects.get(pk=mine[0].pk)
    SyncItem.objects.filter(pk=again.pk).update(status="queued")
    ExternalRef.objects.filter(integration=integration, kind="status_event").delete()
    runner.process_item(again.pk)
    assert not [i for i in poll_status(integration) if i.reference == order_item.reference]
    order = shop.order(placed["id"])
    assert len(order["emails"]) == 1 and len(order["captures"]) == 1
    assert len(order["history"]) == 2  # Mottagen → Behandlas → Skickad, nothing more


def test_a_capture_asked_of_the_shop_is_not_money_drawn_in_the_daily_close(integration, shop, agent, prefix):
    """The shop's status call confirms no capture: the close must not count the request as one."""
    shop.place(order_spec())
    [order_item] = transfer(integration)
    agent.deliver(int(order_item.target_id), tracking=f"PN{prefix}9")
    poll_status(integration)
    steps = JourneyStep.objects.filter(order_ref=order_item.reference).values_list("step", flat=True)
    assert JourneyStep.Step.CAPTURE_REQUESTED in steps and JourneyStep.Step.CAPTURED not in steps

    today = timezone.localdate()
    rows = daily_close(integration, today, today=today + dt.timedelta(days=30))
    order = order_item.reference.removeprefix(prefix)
    # Invoiced, no payout line and no confirmed capture: the merchant is told to look; it is not a
    # capture "in no payout" with the shop's total as if the money had been drawn.
    assert [(r.order, r.difference, r.captured) for r in rows if r.order == order] == [
        (order, Difference.NOT_CAPTURED, None)
    ]


def test_events_for_documents_not_from_the_shop_are_skipped(integration, shop, agent, prefix):
    customer = agent.client.find_customers(number="1001")[0]
    document = agent.client.create_document(
        P.DocumentInput(kind="order", customer_number=customer.number, reference=f"{prefix}POS",
                        rows=[P.DocumentRowInput(article_number="1001", quantity=1)]),
        f"pos-{prefix}",
    )  # fmt: skip
    agent.deliver(document.number)
    items = [i for i in poll_status(integration) if i.reference == f"{prefix}POS"]
    assert [(i.status, i.reason) for i in items] == [("skipped", "not_a_shop_order")]


def test_dry_run_changes_nothing_in_the_shop(integration, shop, agent, prefix):
    placed = shop.place(order_spec())[0]
    [order_item] = transfer(integration)
    integration.live = False
    integration.save()
    agent.deliver(int(order_item.target_id), tracking="PN1")
    [item] = [i for i in poll_status(integration) if i.reference == order_item.reference]
    assert item.status == "done" and item.result == {"dry_run": True}
    order = shop.order(placed["id"])
    assert order["status_id"] == 2 and order["emails"] == [] and order["captures"] == []


def test_a_swish_order_gets_its_status_and_no_claim_of_a_capture(
    integration, shop, agent, prefix, client, consultant
):
    """Swish is paid at purchase: the capturing status is set, and nothing says money is drawn."""
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    placed = shop.place(order_spec(payment_method="Swish"))[0]
    [order_item] = transfer(integration)
    agent.deliver(int(order_item.target_id), tracking=f"PN{prefix}9")
    poll_status(integration)

    order = shop.order(placed["id"])
    assert order["status_id"] == 3 and len(order["emails"]) == 1 and order["captures"] == []
    steps = list(JourneyStep.objects.filter(order_ref=order_item.reference).values_list("step", flat=True))
    assert steps[-3:] == ["delivered", "shop_status", "email"]

    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(
        reverse("admin:flows_order_journey", args=[integration.pk, order_item.reference])
    ).content.decode()
    assert "capture requested" not in html and "payment captured" not in html


def test_the_order_page_names_a_capture_as_requested_never_as_drawn(
    integration, shop, agent, client, consultant
):
    shop.place(order_spec())
    [order_item] = transfer(integration)
    agent.deliver(int(order_item.target_id))
    poll_status(integration)
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(
        reverse("admin:flows_order_journey", args=[integration.pk, order_item.reference])
    ).content.decode()
    # Both the path and the detailed steps say what we know: we asked the shop.
    assert html.lower().count("capture requested") == 2 and "payment captured" not in html.lower()
    assert f'› <a href="{reverse("admin:flows_syncitem_changelist")}">Sync items</a>' in html
