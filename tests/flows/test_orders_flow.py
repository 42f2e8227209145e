"""Orders from the shop into Visma, through the engine, against both simulators over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.engine import runner
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
    """One poll of the orders flow, as beat starts it; returns the items new in this run."""
    result = runner.run_flow(integration.pk, ORDERS)
    return list(SyncItem.objects.filter(run_id=result.run_id).order_by("id"))


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


def test_unknown_article_parks_the_order_naming_it_and_it_resumes_once_the_article_exists(
    integration, shop, agent, prefix
):
    article = f"NY-{prefix}"[:16]
    shop.place(
        order_spec(rows=[{"article_number": article, "name": "Ny mössa", "quantity": 1,
                          "unit_price_inc_vat": "100.00", "vat": "0.25"}])
    )  # fmt: skip
    good = shop.place(order_spec())[0]
    parked, done = transfer(integration)
    assert (parked.status, parked.reason) == ("parked", "needs_mapping")
    assert article in parked.last_error and parked.result == {"kind": "article", "value": article}
    assert done.status == "done", "one bad order must not hold back the next"
    assert len(agent.documents(f"{prefix}{good['number']}")) == 1

    agent.client.sim(
        "POST", "articles", {"items": [{"number": article, "name": "Ny mössa", "in_stock": "5"}]}
    )
    transfer(integration)
    parked.refresh_from_db()
    assert parked.status == "done"
    [document] = agent.documents(parked.reference)
    assert [r.article_number for r in document.rows] == [article]


def test_unknown_payment_method_waits_for_its_mapping(integration, shop, agent, prefix):
    from flows.models import MethodMapping

    shop.place(order_spec(payment_method="Swish"))
    [item] = transfer(integration)
    assert item.reason == "needs_mapping" and "'Swish'" in item.last_error
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)
    item.refresh_from_db()
    assert item.status == "done"
    assert agent.documents(item.reference)[0].number == int(item.target_id)


@pytest.mark.parametrize(
    "overrides, expect_status, expect_in_error",
    [
        pytest.param(
            {"bill_to": {"first_name": "Zhāng", "last_name": "Wěi 张伟", "address": "Storgatan 1"}},
            "done", None, id="name_outside_windows_1252_case",
        ),
        pytest.param(
            {"bill_to": {"first_name": "Anna", "last_name": "Ek", "city": "Sthlm",
                         "address": "Långa vägen med ett mycket långt namn som aldrig tar slut 12"}},
            "done", None, id="address_longer_than_the_field_case",
        ),
        pytest.param(
            {"rows": [{"article_number": "1001", "name": "x", "quantity": 0, "unit_price_inc_vat": "249.00",
                       "vat": "0.25"}]},
            "parked", "quantity 0", id="zero_quantity_case",
        ),
        pytest.param(
            {"rows": [{"article_number": "1001", "name": "x", "quantity": 1, "unit_price_inc_vat": "249.00",
                       "vat": "0.15"}]},
            "parked", "VAT 15 %", id="vat_rate_visma_lacks_case",
        ),
        pytest.param(
            {"rows": [{"article_number": "1001", "name": "x", "quantity": 100_000,
                       "unit_price_inc_vat": "100000.00", "vat": "0.25"}]},
            "parked", "Visma cannot hold the order", id="amount_beyond_what_visma_holds_case",
        ),
        pytest.param(
            {"customer_id": None, "email": "tanaka@example.jp",
             "bill_to": {"first_name": "日本語", "last_name": "テスト 🎉", "address": "Storgatan 1"}},
            "done", None, id="name_with_nothing_windows_1252_can_hold_case",
        ),
    ],
)  # fmt: skip
def test_bad_orders_are_parked_or_corrected_with_a_clear_reason(
    integration, shop, agent, prefix, overrides, expect_status, expect_in_error
):
    shop.place(order_spec(**overrides))
    good = shop.place(order_spec())[0]
    bad, ok = transfer(integration)
    assert ok.status == "done" and agent.documents(f"{prefix}{good['number']}")
    assert bad.status == expect_status, bad.last_error
    if expect_in_error:
        assert expect_in_error in bad.last_error
        assert not agent.documents(bad.reference)
    else:
        [document] = agent.documents(bad.reference)
        mapped_steps = JourneyStep.objects.filter(order_ref=bad.reference, step__in=["mapped", "in_visma"])
        warnings = [w for s in mapped_steps for w in s.detail.get("warnings", [])]
        assert warnings, "what Visma changed must be visible on the order's page"


def test_a_one_ore_total_mismatch_is_corrected_with_an_explicit_ore_row(integration, shop, agent, prefix):
    shop.place(order_spec(total_inc_vat="636.91"))  # rows, freight: 636.90
    [item] = transfer(integration)
    assert item.status == "done", item.last_error
    [document] = agent.documents(item.reference)
    [ore] = [r for r in document.rows if r.text == "Öresutjämning"]
    assert ore.amount == Decimal("0.01")


def test_a_crash_after_the_write_does_not_write_twice(integration, shop, agent, prefix):
    shop.place(order_spec())
    [item] = transfer(integration)
    # As if the worker died after Visma answered and before the item was recorded as done.
    SyncItem.objects.filter(pk=item.pk).update(status="queued")
    ExternalRef.objects.filter(integration=integration, kind="order").delete()
    runner.process_item(item.pk)
    item.refresh_from_db()
    assert item.status == "done"
    assert len(agent.documents(item.reference)) == 1
    assert (
        JourneyStep.objects.filter(order_ref=item.reference, step="in_visma")
        .last()
        .detail["found_by_reference"]
    )


def test_dry_run_writes_nothing_to_either_system(integration, shop, agent, prefix):
    integration.live = False
    integration.save()
    placed = shop.place(order_spec(customer_id=None, email=f"{prefix}dry@example.se"))[0]
    before = agent.counts()
    [item] = transfer(integration)
    assert item.status == "done" and item.result == {"dry_run": True}
    assert agent.counts() == before
    assert shop.order(placed["id"])["status_id"] == 1
    would = JourneyStep.objects.get(order_ref=item.reference, step="would_write")
    assert would.detail["document"]["reference"] == item.reference

    integration.live = True
    integration.save()
    [live] = transfer(integration)
    assert live.status == "done" and len(agent.documents(item.reference)) == 1


def test_company_order_with_voucher_and_fee_is_excl_vat_for_the_known_company(integration, shop, agent):
    placed = shop.place(
        order_spec(
            customer_id=None,
            email="ny.inkopare@byggjarn.example.se",
            org_number="556036-0793",
            bill_to={"company": "Bygg & Järn AB", "first_name": "Per", "last_name": "Ek",
                     "address": "Industrivägen 4", "zip_code": "412 50", "city": "Göteborg"},
            discount_inc_vat="50.00",
            fee_inc_vat="29.00",
        )
    )[0]  # fmt: skip
    [item] = transfer(integration)
    assert item.status == "done", item.last_error
    [document] = agent.documents(item.reference)
    assert document.customer_number == "1002", "found by organisation number, not created again"
    assert document.including_vat is False
    assert document.total - document.round_off == Decimal(placed["total_inc_vat"])
    texts = [r.text for r in document.rows if not r.article_number]
    assert "Rabatt 25 % moms" in texts and "Rabatt 12 % moms" in texts
