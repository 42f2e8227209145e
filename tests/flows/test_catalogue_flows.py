"""Catalogue flows against both simulators: products, prices, price lists and stock, with deltas."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from connectors.visma import protocol as P
from flows import later
from flows.demo.setup import PRICE_LIST_B2B, PRICE_LIST_SE
from flows.engine import runner
from flows.models import PriceListMapping, SyncItem, SyncRun
from flows.modes import Flow
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db(transaction=True)


def cycle(integration, flow: str) -> SyncRun:
    return SyncRun.objects.get(pk=runner.run_flow(integration.pk, flow).run_id)


def writes(shop, operation: str = "Product_AddUpdate") -> int:
    return len(shop.calls(operation))


@pytest.fixture
def articles(agent, prefix):
    """Three fresh web-shop articles in Visma with stock and prices in all three price lists."""
    numbers = [f"{prefix}A{i}" for i in range(3)]
    items = [
        {"number": n, "name": f"Mössa {i}", "accounting_code": "1", "in_stock": "10"}
        for i, n in enumerate(numbers)
    ]
    agent.client.sim("POST", "articles", {"items": items})
    for number in numbers:
        for price_list, price in (("1", "250.00"), ("2", "120.00"), ("3", "200.00")):
            agent.client.sim(
                "PUT", "prices", {"price_list": price_list, "article_number": number, "price": price}
            )
    agent.client.sim("PUT", "prices", {"price_list": "2", "article_number": numbers[0], "quantity": "10",
                                       "price": "100.00"})  # fmt: skip
    agent.client.put_article(numbers[0], P.ArticleInput(name="Mössa 0", weight=Decimal("0.35")))
    return numbers


def shop_product(shop, number: str) -> dict:
    return shop.side("GET", f"products/{number}")


def test_visma_articles_become_shop_products_and_an_unchanged_cycle_writes_nothing(
    integration, shop, agent, articles
):
    run = cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP)
    assert run.status == "succeeded", run.log
    product = shop_product(shop, articles[0])
    assert product["texts"]["sv-SE"]["Name"] == "Mössa 0"
    assert product["shared"]["Vat"] == "0.25000000"
    assert product["shared"]["Weight"] == "0.3500"
    # The base list is incl. VAT in Visma, the shop's product price excl. VAT: 250 / 1.25.
    assert Decimal(product["shared"]["Price"]) == Decimal("200")

    before = writes(shop)
    assert cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP).status == "succeeded"
    assert writes(shop) == before, "nothing changed, nothing written"

    agent.client.put_article(articles[1], P.ArticleInput(name="Mössa ny", webshop=False, inactive=True))
    cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP)
    assert writes(shop) == before + 1
    hidden = shop_product(shop, articles[1])
    assert hidden["texts"]["sv-SE"]["Name"] == "Mössa ny" and hidden["shared"]["HideProduct"] == "true"


def test_stock_is_disposable_less_orders_in_flight_and_the_buffer_with_no_echo(
    integration, shop, agent, articles
):
    cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP)  # links the articles to the shop
    integration.stock_safety_buffer = 1
    integration.save()
    shop_config = integration.shops.get()
    shop_config.out_of_stock_status_id = 9
    shop_config.save()

    # An order the shop took that waits for a payment-method mapping: sold, but not reserved in Visma.
    row = {
        "article_number": articles[0],
        "name": "x",
        "quantity": 4,
        "unit_price_inc_vat": "250",
        "vat": "0.25",
    }
    shop.place(order_spec(payment_method="Swish", rows=[row]))
    [parked] = transfer(integration)
    assert parked.status == "parked"
    run = cycle(integration, Flow.VISMA_STOCK_TO_SHOP)
    assert run.status == "succeeded", run.log
    assert shop_product(shop, articles[0])["stock"]["NewStockCount"] == "5"  # 10 − 4 − 1
    assert shop_product(shop, articles[1])["stock"]["NewStockCount"] == "9"

    agent.client.sim("POST", f"stock/{articles[1]}", {"delta": "-9"})  # a till sells 9 in the shop
    before = writes(shop)
    cycle(integration, Flow.VISMA_STOCK_TO_SHOP)
    assert writes(shop) == before + 1, "one changed article, one batch"
    out = shop_product(shop, articles[1])["stock"]
    assert (out["NewStockCount"], out["StockStatusId"]) == ("0", "9")

    # The order gets its mapping and reaches Visma, which reserves 4: the shop figure does not move.
    from flows.models import MethodMapping

    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)
    parked.refresh_from_db()
    assert parked.status == "done"
    before = writes(shop)
    cycle(integration, Flow.VISMA_STOCK_TO_SHOP)
    assert writes(shop) == before, "no echo of our own order"
    assert shop_product(shop, articles[0])["stock"]["NewStockCount"] == "5"


def test_prices_and_price_lists_with_quantity_breaks_reported(integration, shop, agent, articles):
    cycle(integration, Flow.VISMA_PRODUCTS_TO_SHOP)
    PriceListMapping.objects.filter(integration=integration).delete()
    PriceListMapping.objects.create(integration=integration, visma_price_list="3",
                                    jetshop_price_list_guid=PRICE_LIST_SE, includes_vat=True)  # fmt: skip
    PriceListMapping.objects.create(integration=integration, visma_price_list="2",
                                    jetshop_price_list_guid=PRICE_LIST_B2B, includes_vat=False)  # fmt: skip
    agent.client.sim("PUT", "prices", {"price_list": "1", "article_number": articles[2], "price": "300.00"})
    run = cycle(integration, Flow.VISMA_PRICES_TO_SHOP)
    assert run.status == "succeeded", run.log
    assert Decimal(shop_product(shop, articles[2])["shared"]["Price"]) == Decimal("240")

    run = cycle(integration, Flow.VISMA_PRICE_LISTS_TO_SHOP)
    assert run.status == "succeeded", run.log
    prices = shop_product(shop, articles[0])["prices"]
    assert Decimal(prices[PRICE_LIST_SE]["PriceIncVat"]) == Decimal("200")
    assert Decimal(prices[PRICE_LIST_B2B]["PriceIncVat"]) == Decimal("150")  # 120 excl. + 25 %
    [note] = SyncItem.objects.filter(
        integration=integration, reason="not_transferable", reference=articles[0]
    )
    assert note.status == "skipped" and "from 10 units" in note.last_error

    before = writes(shop, "PriceList_UpdateArticleIncVAT")
    cycle(integration, Flow.VISMA_PRICE_LISTS_TO_SHOP)
    assert writes(shop, "PriceList_UpdateArticleIncVAT") == before
    notes = SyncItem.objects.filter(integration=integration, reason="not_transferable", reference=articles[0])
    assert notes.count() == 1, "reported once, not every cycle"


def kombo(integration):
    from flows.models import ArticleAccountMapping
    from flows.modes import FlowMode

    integration.flow_mode = FlowMode.KOMBO
    integration.save()
    ArticleAccountMapping.objects.create(integration=integration, vat_rate=Decimal(25), account_code="1")
    ArticleAccountMapping.objects.create(integration=integration, vat_rate=Decimal(12), account_code="2")
    return integration


def test_shop_products_and_variants_become_visma_articles_and_bad_ones_park(integration, shop, agent, prefix):
    kombo(integration)
    shop.side("POST", "products", {"products": [
        {"article_number": f"{prefix}T", "names": {"sv-SE": "Tröja"}, "vat": "0.25", "price": "100"},
        {"article_number": f"{prefix}T-S", "names": {"sv-SE": "Tröja S"}, "vat": "0.25", "price": "100",
         "parent_article_number": f"{prefix}T", "attribute_value": "S"},
        {"article_number": f"{prefix}KAFFE", "names": {"sv-SE": "Kaffe"}, "vat": "0.12", "price": "50",
         "ean_code": "7310000000012"},
        {"article_number": f"{prefix}ETT-MYCKET-LANGT-NUMMER", "names": {"sv-SE": "Lång"}, "vat": "0.25"},
        {"article_number": f"{prefix}BOK", "names": {"sv-SE": "Bok"}, "vat": "0.06"},
    ]})  # fmt: skip
    run = cycle(integration, Flow.SHOP_PRODUCTS_TO_VISMA)
    assert run.status == "partial", run.log
    visma = agent.client
    assert visma.get_article(f"{prefix}T").name == "Tröja"
    assert visma.get_article(f"{prefix}T-S").name == "Tröja S", "each variant is its own article"
    coffee = visma.get_article(f"{prefix}KAFFE")
    assert (coffee.accounting_code, coffee.bar_code) == ("2", "7310000000012")
    parked = dict(
        SyncItem.objects.filter(integration=integration, status="parked").values_list("source_id", "reason")
    )
    assert parked == {f"{prefix}ETT-MYCKET-LANGT-NUMMER": "article_number", f"{prefix}BOK": "needs_mapping"}

    # Our own stock write touches the shop product (ModifiedDate moves): nothing goes back to Visma.
    cycle(integration, Flow.VISMA_STOCK_TO_SHOP)
    before = visma.get_article(f"{prefix}T").timestamp
    again = cycle(integration, Flow.SHOP_PRODUCTS_TO_VISMA)
    with translation.override("sv"):
        assert "0 skrivna" in "\n".join(later.read_log(again.log))
    assert visma.get_article(f"{prefix}T").timestamp == before
