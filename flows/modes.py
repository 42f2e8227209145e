"""The seed's mode → flows table, as data. The admin shows it; the scheduler runs from it.

A flow moves one kind of record one way; names follow ``<source>_<entity>_to_<target>``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlowMode(models.TextChoices):
    ECOM = "ecom", _("Ecom (the shop drives products)")
    ERP = "erp", _("ERP (Visma drives products, prices and stock)")
    KOMBO = "kombo", _("Kombo (products from the shop; prices and stock from Visma)")


class Flow(models.TextChoices):
    SHOP_ORDERS_TO_VISMA = "shop_orders_to_visma", _("orders (incl. customer) shop → Visma")
    VISMA_ORDER_STATUS_TO_SHOP = (
        "visma_order_status_to_shop",
        _("order status Visma → shop (e-mail, tracking, capture)"),
    )
    SHOP_PRODUCTS_TO_VISMA = "shop_products_to_visma", _("products shop → Visma")
    VISMA_PRODUCTS_TO_SHOP = "visma_products_to_shop", _("products Visma → shop")
    VISMA_PRICES_TO_SHOP = "visma_prices_to_shop", _("prices Visma → shop")
    VISMA_PRICE_LISTS_TO_SHOP = "visma_price_lists_to_shop", _("price lists Visma → shop")
    VISMA_STOCK_TO_SHOP = "visma_stock_to_shop", _("stock and stock status Visma → shop")


FLOWS_BY_MODE: dict[str, tuple[Flow, ...]] = {
    FlowMode.ECOM: (Flow.SHOP_ORDERS_TO_VISMA, Flow.SHOP_PRODUCTS_TO_VISMA),
    FlowMode.ERP: (
        Flow.SHOP_ORDERS_TO_VISMA,
        Flow.VISMA_ORDER_STATUS_TO_SHOP,
        Flow.VISMA_PRODUCTS_TO_SHOP,
        Flow.VISMA_PRICES_TO_SHOP,
        Flow.VISMA_PRICE_LISTS_TO_SHOP,
        Flow.VISMA_STOCK_TO_SHOP,
    ),
    FlowMode.KOMBO: (
        Flow.SHOP_ORDERS_TO_VISMA,
        Flow.VISMA_ORDER_STATUS_TO_SHOP,
        Flow.SHOP_PRODUCTS_TO_VISMA,
        Flow.VISMA_PRICES_TO_SHOP,
        Flow.VISMA_PRICE_LISTS_TO_SHOP,
        Flow.VISMA_STOCK_TO_SHOP,
    ),
}

# Orders and status are what a shopper waits for; everything else is bulk work.
ORDERS_QUEUE = "orders"
BULK_QUEUE = "bulk"
QUEUE_BY_FLOW: dict[str, str] = {
    flow: ORDERS_QUEUE if flow in (Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP) else BULK_QUEUE
    for flow in Flow
}


def flows_for(mode: str) -> tuple[Flow, ...]:
    return FLOWS_BY_MODE[FlowMode(mode)]
