"""Metering end to end: a real worker SIGKILLed in the middle of a batch of orders, started again;
every order is counted once for the price model, however often it was picked up."""

from __future__ import annotations

import pytest

from flows.models import SyncItem
from sharespine.metering import usage
from sharespine.metering.models import Kind, UsageEvent
from tests.e2e.conftest import Beat
from tests.e2e.test_orders_e2e import (
    ORDERS,
    assert_exactly_once_and_to_the_ore,
    finished,
    place_orders,
    setup,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_orders_are_counted_once_when_the_worker_dies_mid_batch_and_the_orders_are_retried(
    worker, shops, agent
):
    integration = setup(shops, agent)
    placed = place_orders(shops, 80, seed=23)
    beat = Beat(integration.pk, (ORDERS,))
    done = SyncItem.objects.filter(integration=integration, status="done")
    beat.until(lambda: done.count() >= 15, timeout=120, every=0.2)
    worker.kill()
    counted = UsageEvent.objects.filter(customer=integration.customer, kind=Kind.ORDER)
    assert done.count() < 80, "the worker must die in the middle of the batch"
    # What committed is counted, and nothing else: the count is written with the item's completion.
    assert counted.count() == done.count()
    worker.start()
    beat.until(lambda: finished(integration, 80), timeout=240)

    assert done.count() == 80
    assert_exactly_once_and_to_the_ore(agent, placed)
    assert usage.counts(integration.customer, usage.month_of(usage.timezone.now()))[Kind.ORDER] == 80
    items = SyncItem.objects.filter(integration=integration, flow=ORDERS)
    assert sorted(counted.values_list("key", flat=True)) == sorted(
        f"{integration.pk}:{source_id}" for source_id in items.values_list("source_id", flat=True)
    )
