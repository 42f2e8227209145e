"""Orders from the shop into Visma, through the engine, against both simulators over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows import runner
from flows.models import ExternalRef, JourneyStep, SyncItem
from flows.modes import Flow

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


def order_spec(**overrides) -> dict:
    spec = {
        "channel_id": 1,
        "currency": "SEK",
        "culture": "sv-SE",
        "customer_id": 501,
        "email": "asa@example.se",
        "bill_to": {"first_name": "Åsa", "last_name": "Öberg", "address": "Storgatan 1",
                    "zip_code": "111 22", "city": "Stockholm", "country_code": "SE"},
        "payment_method": "KlarnaCheckout",
        "delivery_method": "PostNord MyPack",
        "freight_inc_vat": "49.00",
        "rows": [
            {"article_number": "1001", "name": "Ullmössa grå", "quantity": 2, "unit_price_inc_vat": "249.00",
             "vat": "0.25"},
            {"article_number": "2001", "name": "Kaffe", "quantity": 1, "unit_price_inc_vat": "89.90",
             "vat": "0.12"},
        ],
    }  # fmt: skip
    spec.update(overrides)
    return spec


def transfer(integration) -> list[SyncItem]:
    """One poll of the orders flow, then every item it queued, as the worker would."""
    result = runner.run_flow(integration.pk, ORDERS)
    for item_id in result.item_ids:
        runner.process_item(item_id)
    return list(SyncItem.objects.filter(pk__in=result.item_ids).order_by("id"))


def test_an_order_reaches_visma_once_with_customer_rows_and_totals(integration, shop, agent, prefix):
    [placed] = shop.place(order_spec())
    [item] = transfer(integration)
    assert item.status == SyncItem.Status.DONE, item.last_error
    reference = f"{prefix}{placed['number']}"
    [document] = agent.documents(reference)
    assert document.kind == "order" and document.including_vat
    assert [(r.article_number, r.quantity_ordered, r.price) for r in document.rows] == [
        ("1001", Decimal(2), Decimal("249.00")),
        ("2001", Decimal(1), Decimal("89.90")),
    ]
    assert document.freight == Decimal("49.00")
    # 2 × 249.00 + 89.90 + 49.00 = 636.90, öresavrundning to 637.00 in Visma
    assert document.total == Decimal("637.00") and document.round_off == Decimal("0.10")
    customer = agent.client.find_customers(number=document.customer_number)[0]
    assert (customer.name, customer.email) == ("Åsa Öberg", "asa@example.se")
    # the shop order moved on, the reference answers "which Visma document?"
    assert shop.order(placed["id"])["status_id"] == 2
    ref = ExternalRef.objects.get(integration=integration, kind="order")
    assert ref.erp_id == f"order:{document.number}"
    steps = list(JourneyStep.objects.filter(order_ref=reference).values_list("step", flat=True))
    assert steps == ["received", "mapped", "in_visma", "shop_status"]

    # Pulling again, and a shop that returns the order again, change nothing.
    shop.side("POST", "faults", {"kind": "duplicate_delivery", "count": 1})
    assert transfer(integration) == []
    assert len(agent.documents(reference)) == 1
