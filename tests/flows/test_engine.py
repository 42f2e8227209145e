"""Engine bookkeeping: uniqueness, claiming, parking, back-off, sweeping, schedules."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from flows import engine
from flows.engine.schedules import sync_schedules
from flows.models import ExternalRef, JourneyStep, SyncItem
from flows.modes import Flow, FlowMode
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def _records(*ids: str) -> list[engine.SourceRecord]:
    return [engine.SourceRecord(source_id=i, version="1", payload={"id": i}, reference=i) for i in ids]


def test_pulling_the_same_version_twice_makes_one_item():
    integration = IntegrationFactory()
    first = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("a", "b"))
    again_run = engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA)
    again = engine.ingest(again_run, _records("a", "b", "c"))
    assert len(first) == 2 and len(again) == 1
    assert SyncItem.objects.filter(integration=integration).count() == 3
    assert (again_run.pulled, again_run.queued) == (3, 1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_item_only_one_gets_it():
    integration = IntegrationFactory()
    [item_id] = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("x"))
    barrier = threading.Barrier(4)
    winners = []

    def worker():
        barrier.wait()
        if engine.claim(item_id) is not None:
            winners.append(threading.get_ident())
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert SyncItem.objects.get(pk=item_id).attempts == 1


def test_complete_records_the_reference_and_the_journey_in_one_go():
    integration = IntegrationFactory()
    [item_id] = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("7:1001"))
    item = engine.claim(item_id)
    engine.complete(
        item,
        engine.Outcome(
            target_id="5001",
            ref_kind=ExternalRef.Kind.ORDER,
            steps=[(JourneyStep.Step.IN_VISMA, {"document": "5001"})],
        ),
    )
    ref = ExternalRef.objects.get(integration=integration, kind="order")
    assert (ref.shop_id, ref.erp_id) == ("7:1001", "5001")
    assert SyncItem.objects.get(pk=item_id).status == SyncItem.Status.DONE
    assert JourneyStep.objects.get(order_ref="7:1001").step == JourneyStep.Step.IN_VISMA


def test_parked_item_keeps_its_reason_and_retry_puts_it_back():
    integration = IntegrationFactory()
    [item_id] = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("p"))
    engine.park(engine.claim(item_id), engine.MappingError("unknown article ABC-1", reason="unknown_article"))
    item = SyncItem.objects.get(pk=item_id)
    assert (item.status, item.reason, item.last_error) == (
        "parked",
        "unknown_article",
        "unknown article ABC-1",
    )
    assert engine.requeue([item_id]) == [item_id]
    assert SyncItem.objects.get(pk=item_id).status == SyncItem.Status.QUEUED


def test_transient_failure_backs_off_and_honours_retry_after():
    integration = IntegrationFactory()
    [item_id] = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("t"))
    delay = engine.back_off(engine.claim(item_id), "HTTP 429", retry_after=7)
    item = SyncItem.objects.get(pk=item_id)
    assert delay == 7 and item.status == SyncItem.Status.QUEUED
    assert timedelta(seconds=6) < item.not_before - timezone.now() <= timedelta(seconds=7)


def test_sweeper_revives_items_left_in_processing_by_a_dead_worker(settings):
    settings.FLOWS_STUCK_AFTER_SECONDS = 60
    integration = IntegrationFactory()
    ids = engine.ingest(engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA), _records("s1", "s2"))
    engine.claim(ids[0])
    SyncItem.objects.filter(pk=ids[0]).update(claimed_at=timezone.now() - timedelta(minutes=2))
    engine.claim(ids[1])  # claimed just now: a live worker has it
    assert engine.stuck_items() == [ids[0]]
    assert SyncItem.objects.get(pk=ids[0]).status == SyncItem.Status.QUEUED
    assert SyncItem.objects.get(pk=ids[1]).status == SyncItem.Status.PROCESSING


def test_schedules_follow_the_mode_and_the_intervals():
    integration = IntegrationFactory(flow_mode=FlowMode.KOMBO, poll_orders=30)
    sync_schedules(integration)
    names = set(
        PeriodicTask.objects.filter(name__startswith=f"flow:{integration.pk}:").values_list("name", flat=True)
    )
    assert names == {f"flow:{integration.pk}:{flow}" for flow in integration.flows}
    orders = PeriodicTask.objects.get(name=f"flow:{integration.pk}:{Flow.SHOP_ORDERS_TO_VISMA}")
    assert (orders.interval.every, orders.queue) == (30, "orders")
    stock = PeriodicTask.objects.get(name=f"flow:{integration.pk}:{Flow.VISMA_STOCK_TO_SHOP}")
    assert stock.queue == "bulk"

    integration.flow_mode = FlowMode.ECOM
    integration.enabled = False
    integration.save()
    sync_schedules(integration)
    left = PeriodicTask.objects.filter(name__startswith=f"flow:{integration.pk}:")
    assert {t.name.split(":")[2] for t in left} == {Flow.SHOP_ORDERS_TO_VISMA, Flow.SHOP_PRODUCTS_TO_VISMA}
    assert not any(t.enabled for t in left)


@pytest.mark.parametrize(
    ("stored", "batch", "expected"),
    [
        # One shop customer moves off a Visma customer and another takes it, in one chunk.
        ({"K1": "X"}, [("K1", "Y"), ("K2", "X")], {"K1": "Y", "K2": "X"}),
        # A Visma customer another shop customer keeps is not remembered for a second one, whose
        # old mapping goes (its next order is looked up again).
        ({"K1": "X", "K2": "W"}, [("K2", "X")], {"K1": "X"}),
        # Two of the chunk for one new Visma customer: the first has it.
        ({"K2": "W"}, [("K1", "Z"), ("K2", "Z")], {"K1": "Z"}),
        # The later mapping of one shop customer wins; nothing else changes.
        ({"K3": "V"}, [("K1", "A"), ("K1", "B")], {"K1": "B", "K3": "V"}),
    ],
)
def test_a_chunk_remembers_customers_as_one_at_a_time_would(stored, batch, expected):
    integration = IntegrationFactory()
    for shop_key, number in stored.items():
        ExternalRef.objects.create(integration=integration, kind="customer", shop_id=shop_key, erp_id=number)
    run = engine.start_run(integration, Flow.SHOP_ORDERS_TO_VISMA)
    ids = engine.ingest(run, _records(*[f"o{n}" for n in range(len(batch))]))
    claimed = engine.claim_many(ids, integration, {})
    engine.complete_many(
        [
            (claimed[item_id], engine.Outcome(target_id=str(item_id), customer_ref=mapping))
            for item_id, mapping in zip(ids, batch, strict=True)
        ]
    )
    refs = ExternalRef.objects.filter(integration=integration, kind="customer")
    assert dict(refs.values_list("shop_id", "erp_id")) == expected
    assert SyncItem.objects.filter(pk__in=ids, status="done").count() == len(batch)
