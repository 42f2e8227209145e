"""Query-count baselines for the order path (as netbox keeps them): a change that adds queries per
order shows up here before it shows up in a benchmark.

The marginal cost is measured, so fixed per-run work (the run row, the pull, the lock) does not
blur it: the same flow over one chunk of orders and over three, the difference divided by two.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flows import engine
from flows.engine import runner
from flows.engine.base import Page
from flows.models import JourneyStep, SyncItem
from flows.modes import Flow
from tests.factories import IntegrationFactory, JetshopShopFactory
from tests.flows.test_orders_flow import order_spec

pytestmark = pytest.mark.django_db(transaction=True)
ORDERS = Flow.SHOP_ORDERS_TO_VISMA
# Per chunk of orders into Visma (runner.CLAIM_CHUNK of them), returning registered customers
# (measured: 2): the claim (one UPDATE … RETURNING) and complete_many (one statement: the customers
# remembered, the reference upserts, the items, the orders counted for the price model and the
# journey steps; before, 6 with its BEGIN and COMMIT). The remembered customers are read once per
# run for the shop customers it meets (3 while each chunk read them again). Nothing is read or
# written per order any more (before chunks: 7 queries per order).
PER_CHUNK_QUERIES = 2
# Storing a pulled page of shop orders, whatever its size (``engine.store_page``): one statement for
# the items and their "received" steps, returning the new ids, in the page's transaction (its BEGIN
# and COMMIT, which also hold the cursor's move). Before: 7 for a page of 600 (the items' INSERT per
# 500, their new ids read back, the ids' references read, the steps' INSERT), a placeholder a value.
PAGE_QUERIES = 3


def queries_for(integration, shop, orders: int, customer_id: int) -> int:
    shop.place(*[order_spec(customer_id=customer_id) for _ in range(orders)])
    with CaptureQueriesContext(connection) as captured:
        runner.run_flow(integration.pk, ORDERS)
    assert not SyncItem.objects.filter(integration=integration, flow=ORDERS).exclude(status="done").exists()
    return len(captured.captured_queries)


def test_queries_per_chunk_of_orders_into_visma_stay_at_the_baseline(integration, shop, agent, monkeypatch):
    # A slow shared machine must not cut a chunk short (that only adds chunks, each correct).
    monkeypatch.setattr(runner, "CHUNK_SECONDS", 600.0)
    # Counted on this thread's connection: the chunks' completion is written here too, not behind.
    monkeypatch.setattr(runner, "COMPLETE_BEHIND", False)
    chunk = runner.CLAIM_CHUNK
    queries_for(integration, shop, 1, customer_id=4242)  # the customer is created and remembered
    one = queries_for(integration, shop, chunk, customer_id=4242)
    three = queries_for(integration, shop, 3 * chunk, customer_id=4242)
    per_chunk = (three - one) / 2
    assert per_chunk <= PER_CHUNK_QUERIES, f"{per_chunk} per chunk of {chunk} (baseline {PER_CHUNK_QUERIES})"


def test_queries_to_store_a_page_of_orders_stay_at_the_baseline():
    integration = IntegrationFactory()
    shop = JetshopShopFactory(integration=integration)
    run = engine.start_run(integration, ORDERS)
    records = [
        engine.SourceRecord(f"{shop.pk}:{n}", "1", order_spec(order_number=n), f"S-{n}", shop.pk)
        for n in range(600)
    ]
    with CaptureQueriesContext(connection) as captured:
        new = engine.store_page(run, Page(records=records), journey=True)
    assert len(new) == 600 and JourneyStep.objects.filter(item_id__in=new).count() == 600
    queries = len(captured.captured_queries)
    assert queries <= PAGE_QUERIES, f"{queries} to store a page of 600 orders (baseline {PAGE_QUERIES})"
