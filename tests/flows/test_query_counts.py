"""Query-count baselines for the order path (as netbox keeps them): a change that adds queries per
order shows up here before it shows up in a benchmark.

The marginal cost is measured, so fixed per-run work (the run row, the pull, the lock) does not
blur it: the same flow over N and over N + 10 orders, and the difference divided by ten.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows.engine import runner
from flows.models import SyncItem
from flows.modes import Flow
from tests.flows.test_orders_flow import order_spec

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA
# Per order into Visma, a returning registered customer (measured: 9): claim (the UPDATE, and the
# row with its integration, agent and shop), the shop's channels, the remembered customer, the
# payment and delivery mappings, complete (a savepoint, the reference upsert, the item, the
# order counted for the price model, the journey steps).
PER_ORDER_QUERIES = 9


def queries_for(integration, shop, orders: int, customer_id: int) -> int:
    shop.place(*[order_spec(customer_id=customer_id) for _ in range(orders)])
    with CaptureQueriesContext(connection) as captured:
        runner.run_flow(integration.pk, ORDERS)
    assert not SyncItem.objects.filter(integration=integration, flow=ORDERS).exclude(status="done").exists()
    return len(captured.captured_queries)


def test_queries_per_order_into_visma_stay_at_the_baseline(integration, shop, agent):
    queries_for(integration, shop, 1, customer_id=4242)  # the customer is created and remembered
    few = queries_for(integration, shop, 5, customer_id=4242)
    many = queries_for(integration, shop, 15, customer_id=4242)
    per_order = (many - few) / 10
    assert per_order <= PER_ORDER_QUERIES, f"{per_order} queries per order (baseline {PER_ORDER_QUERIES})"
