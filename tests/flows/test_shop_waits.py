"""A shop that asked to be left alone (HTTP 429) is left alone by every worker: its wait is kept in
the shared cache, and the orders flow reads it once per chunk of orders instead of once per order."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from connectors.errors import RateLimited
from flows.engine import agent_status, runner, throttle
from flows.models import SyncItem
from flows.modes import Flow
from flows.shop_orders_to_visma import throttle_key
from tests.flows.test_orders_flow import order_spec

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA


def test_a_wait_another_worker_stored_holds_the_status_changes_and_the_orders_go_later(
    integration, shop, agent, prefix
):
    placed = shop.place(*[order_spec(customer_id=900 + n) for n in range(3)])
    [jetshop] = integration.shops.all()
    # The orders are pulled while the agent is offline, so they wait in the queue.
    agent_status.mark_offline(integration.pk, "test: the agent is away")
    runner.run_flow(integration.pk, ORDERS)
    agent_status.mark_online(integration.pk)
    status_changes = len(shop.calls("Order_UpdateStatus"))
    # Another worker met a 429 that asked for 30 s.
    cache.set(f"throttle:{throttle_key(jetshop)}", time.time() + 30, timeout=31)

    runner.run_flow(integration.pk, ORDERS)
    assert len(shop.calls("Order_UpdateStatus")) == status_changes, (
        "the shop was called while it asked to wait"
    )
    items = SyncItem.objects.filter(integration=integration, flow=ORDERS)
    # The first order's document went in; the shop's wait then held the others back (HOLDS_SHOP).
    assert sorted(items.values_list("status", "reason")) == [("queued", "")] * 2 + [
        ("queued", "rate_limited")
    ]
    assert len(agent.documents(f"{prefix}{placed[0]['number']}")) == 1

    # The wait is over: the orders go, the written one found in Visma rather than written twice.
    cache.delete(f"throttle:{throttle_key(jetshop)}")
    SyncItem.objects.filter(integration=integration).update(not_before=None)
    runner.run_flow(integration.pk, ORDERS)
    assert set(items.values_list("status", flat=True)) == {"done"}
    for order in placed:
        assert len(agent.documents(f"{prefix}{order['number']}")) == 1
        assert shop.order(order["id"])["status_id"] == 2


def test_a_429_met_within_a_chunk_is_read_again_at_each_later_call(integration):
    [jetshop] = integration.shops.all()
    name = throttle_key(jetshop)
    cache.delete(f"throttle:{name}")
    checked = throttle.Checked([name])
    assert name in checked.clear

    with pytest.raises(RateLimited), checked.respect(name):
        raise RateLimited("HTTP 429", retry_after=5)
    # Remembered for every worker, and no longer taken as clear within the chunk.
    assert throttle.remaining(name) > 4 and name not in checked.clear
    with pytest.raises(RateLimited, match="asked us to wait"), checked.respect(name):
        pass
    cache.delete(f"throttle:{name}")
