"""Storing a pulled page (``engine.store_page``): the items, their "received" steps and the run's
counts, whichever database (on PostgreSQL one statement, elsewhere the ORM's writes)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from flows import engine
from flows.engine.base import Page
from flows.engine.payloads import dump
from flows.models import JourneyStep, SyncItem
from flows.modes import Flow
from tests.factories import IntegrationFactory, JetshopShopFactory

pytestmark = pytest.mark.django_db
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


def _page(shop, *numbers: str, payload: dict | None = None) -> Page:
    return Page(
        records=[
            engine.SourceRecord(
                source_id=f"{shop.pk}:{n}",
                version="1",
                payload=payload if payload is not None else {"order_number": n},
                reference=f"S-{n}",
                shop_id=shop.pk,
            )
            for n in numbers
        ]
    )


def test_a_page_stored_twice_makes_its_items_and_received_steps_once():
    integration = IntegrationFactory()
    shop = JetshopShopFactory(integration=integration)
    run = engine.start_run(integration, ORDERS)
    new = engine.store_page(run, _page(shop, "1001", "1002"), journey=True)

    items = list(SyncItem.objects.filter(integration=integration).order_by("id"))
    assert new == [item.pk for item in items]
    assert [(i.reference, i.source_id, i.shop_id, i.run_id) for i in items] == [
        ("S-1001", f"{shop.pk}:1001", shop.pk, run.pk),
        ("S-1002", f"{shop.pk}:1002", shop.pk, run.pk),
    ]
    steps = list(JourneyStep.objects.filter(integration=integration).order_by("id"))
    assert [(s.order_ref, s.step, s.detail, s.item_id) for s in steps] == [
        ("S-1001", JourneyStep.Step.RECEIVED, {"source": f"{shop.pk}:1001", "run": run.pk}, new[0]),
        ("S-1002", JourneyStep.Step.RECEIVED, {"source": f"{shop.pk}:1002", "run": run.pk}, new[1]),
    ]
    assert (run.pulled, run.queued) == (2, 2)

    again = engine.start_run(integration, ORDERS)
    assert engine.store_page(again, _page(shop, "1001", "1002"), journey=True) == []
    assert SyncItem.objects.filter(integration=integration).count() == 2
    assert JourneyStep.objects.filter(integration=integration).count() == 2
    assert (again.pulled, again.queued) == (2, 0)


def test_the_second_page_of_a_run_starts_only_its_own_orders_journeys():
    """A run stores one page per shop: the second page's new items are its own, not the first's again."""
    integration = IntegrationFactory()
    first, second = JetshopShopFactory(integration=integration), JetshopShopFactory(integration=integration)
    run = engine.start_run(integration, ORDERS)
    one = engine.store_page(run, _page(first, "1", "2"), journey=True)
    two = engine.store_page(run, _page(second, "3"), journey=True)

    assert len(one) == 2 and len(two) == 1 and not set(one) & set(two)
    assert (run.pulled, run.queued) == (3, 3)
    received = JourneyStep.objects.filter(integration=integration, step=JourneyStep.Step.RECEIVED)
    assert sorted(received.values_list("order_ref", flat=True)) == ["S-1", "S-2", "S-3"]


def test_an_item_is_stored_as_the_orm_stores_one():
    """Every column as the model's defaults fill it, the payload as a JSONField stores it (the
    same JSON in the database, not only equal once read back) and its hash: non-ASCII text and
    exact money (Decimals as the payload codec writes them, strings), a float, a big number."""
    integration = IntegrationFactory()
    shop = JetshopShopFactory(integration=integration)
    payload = {
        "bill_to": {"first_name": "Åsa", "last_name": "Öberg-Brännström", "company": 'Bygg & "Järn" AB'},
        "note": "ümlaut ß €, 日本, 😀, tab\there, back\\slash, line\nbreak, \u2028",
        "rows": [
            {"unit_price_inc_vat": dump(Decimal("249.00")), "vat": dump(Decimal("0.25")),
             "quantity": dump(Decimal("1E+3"))},
            {"unit_price_inc_vat": dump(Decimal("-0.10")), "vat": dump(Decimal("0"))},
        ],
        "weight": 1.25,
        "big": 12345678901234567890,
        "flags": [True, False, None],
        "empty": {},
    }  # fmt: skip
    run = engine.start_run(integration, ORDERS)
    [new] = engine.store_page(run, _page(shop, "1001", payload=payload), journey=True)
    by_orm = SyncItem.objects.create(
        integration=integration,
        flow=ORDERS,
        run=run,
        shop=shop,
        source_id="by-the-orm",
        source_version="1",
        reference="S-1001",
        payload=payload,
        payload_hash=engine.payload_hash(payload),
    )

    item = SyncItem.objects.get(pk=new)
    assert item.payload == payload
    assert item.payload["rows"][0] == {"unit_price_inc_vat": "249.00", "vat": "0.25", "quantity": "1000"}
    assert item.payload_hash == engine.payload_hash(payload) == by_orm.payload_hash
    # As the database has it: PostgreSQL's jsonb as text keeps each number as written ("249.00").
    column = "payload::text" if connection.vendor == "postgresql" else "payload"
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(SyncItem._meta.db_table)
        cursor.execute(f"SELECT {column} FROM {table} WHERE id IN (%s, %s) ORDER BY id", [new, by_orm.pk])
        ours, the_orms = [row[0] for row in cursor.fetchall()]
    assert ours == the_orms

    by_orm.refresh_from_db()
    differ = {"id", "source_id"}
    for f in SyncItem._meta.concrete_fields:
        if f.name not in differ and f.name not in ("created_at", "updated_at"):
            assert getattr(item, f.attname) == getattr(by_orm, f.attname), f.name
    assert item.status == SyncItem.Status.QUEUED and item.attempts == 0 and item.result == {}
    assert item.created_at is not None and item.updated_at is not None
    assert item.claimed_at is None and item.not_before is None


def test_a_payload_the_orm_would_refuse_is_refused_and_nothing_is_stored():
    """A payload is JSON-ready (``flows.engine.payloads.dump``): a raw Decimal is an error of the flow,
    refused before anything is written, as a JSONField refuses it."""
    integration = IntegrationFactory()
    shop = JetshopShopFactory(integration=integration)
    run = engine.start_run(integration, ORDERS)
    with pytest.raises(TypeError):
        engine.store_page(run, _page(shop, "1", payload={"total": Decimal("1.00")}), journey=True)
    assert not SyncItem.objects.filter(integration=integration).exists()
    assert not JourneyStep.objects.filter(integration=integration).exists()
