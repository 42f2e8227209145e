"""What the price model bills, counted by the flows themselves: orders into Visma and articles
written, each once per merchant and month however often it is retried or sent again.

Driven through the flow runner against both simulators; the evidence is the merchant's usage as
the usage page and the invoicing export read it (``sharespine.metering.usage``).
"""

from __future__ import annotations

import pytest
from django.db import transaction

from connectors.visma import protocol as P
from flows import engine
from flows.engine import runner
from flows.models import ExternalRef, SyncItem
from flows.modes import Flow
from sharespine.metering import usage
from sharespine.metering.models import Kind, UsageEvent
from tests.flows.test_catalogue_flows import articles, cycle  # noqa: F401 (a fixture)
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db(transaction=True)


def this_month(integration) -> dict[str, int]:
    return usage.counts(integration.customer, usage.month_of(usage.timezone.now()))


def test_each_order_into_visma_counts_once_even_when_processed_again_after_a_crash(integration, shop):
    shop.place(order_spec(), order_spec(customer_id=502, email="lars@example.se"))
    items = transfer(integration)
    assert [i.status for i in items] == ["done", "done"]
    assert this_month(integration)[Kind.ORDER] == 2

    # As if the worker died after Visma answered and before the item was recorded as done: the
    # order is processed again, found in Visma by its reference, and completed a second time.
    SyncItem.objects.filter(pk=items[0].pk).update(status="queued")
    ExternalRef.objects.filter(integration=integration, kind="order", shop_id=items[0].source_id).delete()
    runner.process_item(items[0].pk)
    assert SyncItem.objects.get(pk=items[0].pk).status == "done"
    assert this_month(integration) == {Kind.ORDER: 2, Kind.ARTICLE: 0, Kind.PAYOUT: 0}


def test_a_dry_run_counts_nothing_and_going_live_counts_the_order_once(integration, shop, prefix):
    integration.live = False
    integration.save()
    shop.place(order_spec(customer_id=None, email=f"{prefix}dry@example.se"))
    [dry] = transfer(integration)
    assert dry.result == {"dry_run": True}
    assert this_month(integration)[Kind.ORDER] == 0

    integration.live = True
    integration.save()
    [live] = transfer(integration)
    assert live.status == "done"
    assert this_month(integration)[Kind.ORDER] == 1


def test_a_parked_order_counts_only_when_it_reaches_visma(integration, shop):
    shop.place(order_spec(payment_method="Swish"))
    [item] = transfer(integration)
    assert item.status == "parked"
    assert this_month(integration)[Kind.ORDER] == 0
    integration.method_mappings.create(kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)  # the next poll queues the parked order again
    assert SyncItem.objects.get(pk=item.pk).status == "done"
    assert this_month(integration)[Kind.ORDER] == 1


def test_the_count_rolls_back_with_the_completion_it_belongs_to(integration, shop):
    shop.place(order_spec())
    [item] = transfer(integration)
    UsageEvent.objects.all().delete()
    item.status = "processing"
    with pytest.raises(RuntimeError), transaction.atomic():
        engine.complete(item, engine.Outcome(target_id="1", ref_kind="order"))
        raise RuntimeError("the transaction of the work fails after the count")
    assert not UsageEvent.objects.exists()


def test_articles_written_count_once_a_month_across_flows_and_changes(integration, shop, agent, articles):  # noqa: F811
    run = cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP)
    assert run.status == "succeeded"
    # Every web-shop article of the company (the demo's and the test's three), each once.
    written = this_month(integration)[Kind.ARTICLE]
    assert written == run.queued >= 3
    # Prices and stock to the same articles, and a changed article sent again: no new count.
    cycle(integration, Flow.VISMA_PRICES_TO_SHOP)
    cycle(integration, Flow.VISMA_STOCK_TO_SHOP)
    agent.client.put_article(articles[1], P.ArticleInput(name="Mössa ny"))
    assert cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP).queued == 1
    assert shop.side("GET", f"products/{articles[1]}")["texts"]["sv-SE"]["Name"] == "Mössa ny"
    assert this_month(integration)[Kind.ARTICLE] == written
    keys = set(
        UsageEvent.objects.filter(customer=integration.customer, kind=Kind.ARTICLE).values_list(
            "key", flat=True
        )
    )
    assert set(articles) <= keys and len(keys) == written
