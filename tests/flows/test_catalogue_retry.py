"""Catalogue records that fail: retried from the console, and a shop fault in the middle of a cycle.

Driven only through what support and beat use: the console's retry button (``/admin/...``), the
flow runner (``runner.run_flow``) and the Celery task a retry sends, against both simulators. The
evidence is the shop's own record of what it was sent (the simulator counts every row written to
each article), not the flow's bookkeeping.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from connectors.jetshop import JetshopClient
from connectors.jetshop.records import ProductInput
from flows.demo.setup import PRICE_LIST_SE
from flows.engine import runner
from flows.models import PriceListMapping, SyncItem, SyncRun
from flows.modes import Flow
from sharespine.celery import app

pytestmark = pytest.mark.django_db(transaction=True)
PRODUCTS, STOCK, PRICE_LISTS = (
    Flow.VISMA_PRODUCTS_TO_SHOP,
    Flow.VISMA_STOCK_TO_SHOP,
    Flow.VISMA_PRICE_LISTS_TO_SHOP,
)


@pytest.fixture
def tasks_run_here():
    """The Celery tasks a console retry sends run in this process, at once (Celery's own test
    mode): the test is the worker."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def cycle(integration, flow: str) -> SyncRun:
    return SyncRun.objects.get(pk=runner.run_flow(integration.pk, flow).run_id)


def new_articles(agent, prefix: str, count: int, in_stock: str = "10") -> list[str]:
    numbers = [f"{prefix}K{i:03d}" for i in range(count)]
    items = [
        {"number": n, "name": f"Vante {n}", "accounting_code": "1", "in_stock": in_stock} for n in numbers
    ]
    agent.client.sim("POST", "articles", {"items": items})
    return numbers


def shop_products(shop) -> dict[str, dict]:
    return {p["article"]: p for p in shop.side("GET", "products")["products"]}


def test_a_failed_catalogue_record_retried_from_the_console_goes_through_and_is_cleared(
    integration, shop, agent, prefix, client, django_user_model, tasks_run_here
):
    [kept, deleted] = new_articles(agent, prefix, 2)
    for number in (kept, deleted):
        agent.client.sim("PUT", "prices", {"price_list": "3", "article_number": number, "price": "199.00"})
    PriceListMapping.objects.filter(integration=integration).delete()
    PriceListMapping.objects.create(
        integration=integration,
        visma_price_list="3",
        jetshop_price_list_guid=PRICE_LIST_SE,
        includes_vat=True,
    )
    assert cycle(integration, PRODUCTS).status == "succeeded"
    # Someone deletes a product in the shop's admin: its price-list row is refused.
    merchant = JetshopClient(shop.endpoint, "sim", "sim", "demo", calls_per_second=None)
    merchant.delete_product(deleted)
    cycle(integration, PRICE_LISTS)
    [item] = SyncItem.objects.filter(integration=integration, flow=PRICE_LISTS, status="failed")
    assert item.source_id == f"3:{deleted}" and "Product not found" in item.last_error
    assert PRICE_LIST_SE in shop_products(shop)[kept]["prices"]

    # The product is back in the shop; support presses "Retry" on the failed record.
    merchant.add_update_products([ProductInput(deleted, "sv-SE", name="Vante")])
    merchant.close()
    price_writes = len(shop.calls("PriceList_UpdateArticleIncVAT"))
    # Support's right to retry, given directly: a transactional test has no role groups (the
    # migration's rows are flushed between tests).
    support = django_user_model.objects.create_user("support-retry", password="x", is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="retry_syncitem"))
    client.force_login(support)
    retry = reverse("admin:flows_syncitem_retry", args=[item.pk])
    assert client.post(retry, {"next": "/admin/"}).status_code == 302

    item.refresh_from_db()
    assert item.status == "done", item.last_error
    assert not SyncItem.objects.filter(
        integration=integration, flow=PRICE_LISTS, status__in=["failed", "queued"]
    )
    price = shop_products(shop)[deleted]["prices"][PRICE_LIST_SE]
    assert Decimal(price["PriceIncVat"]) == Decimal("199")
    # The retry sent that one record, and nothing else of the list.
    [call] = shop.calls("PriceList_UpdateArticleIncVAT")[price_writes:]
    assert deleted in call["request"] and kept not in call["request"]
    retry_run = SyncRun.objects.filter(integration=integration, flow=PRICE_LISTS, trigger="retry").get()
    assert retry_run.status == "succeeded"
    # And the next scheduled cycle has nothing left to send.
    cycle(integration, PRICE_LISTS)
    assert len(shop.calls("PriceList_UpdateArticleIncVAT")) == price_writes + 1


@pytest.mark.parametrize(
    ("flow", "fault"),
    [(PRODUCTS, "receiver"), (STOCK, "503")],
    ids=["products-soap-fault", "stock-503"],
)
def test_a_shop_fault_on_the_second_write_batch_loses_nothing_and_sends_nothing_twice(
    integration, shop, agent, prefix, flow, fault
):
    # Enough articles for several Product_AddUpdate calls (100 rows a call, a row per culture).
    mine = new_articles(agent, prefix, 120)
    cultures = len(integration.shops.get().culture_list)
    if flow == STOCK:
        assert cycle(integration, PRODUCTS).status == "succeeded"  # links every article to the shop
        for number in mine:
            agent.client.sim("POST", f"stock/{number}", {"delta": "-3"})
    before = {article: p["writes"] for article, p in shop_products(shop).items()}
    calls_before = len(shop.calls("Product_AddUpdate"))

    shop.fault(kind=fault, operation="Product_AddUpdate", after=1)  # the 2nd write batch fails
    failed = cycle(integration, flow)
    assert failed.status == "failed", failed.log
    statuses = [c["status"] for c in shop.calls("Product_AddUpdate")[calls_before:]]
    assert statuses == [200, 503 if fault == "503" else 500], "the cycle stops at the fault"

    assert cycle(integration, flow).status == "succeeded"
    after = shop_products(shop)
    written = {article: p["writes"] - before.get(article, 0) for article, p in after.items()}
    # Every article of the company got its rows exactly once over the two cycles: one per culture.
    assert {a: n for a, n in written.items() if n} == {a: cultures for a, n in written.items() if n}
    assert set(mine) <= {a for a, n in written.items() if n}, "nothing lost"
    if flow == STOCK:
        assert {after[a]["stock"]["NewStockCount"] for a in mine} == {"7"}
    # And a third cycle has nothing left to send.
    calls = len(shop.calls("Product_AddUpdate"))
    cycle(integration, flow)
    assert len(shop.calls("Product_AddUpdate")) == calls
