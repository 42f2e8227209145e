"""Which module implements each flow: a static table, imported lazily, that doubles as a contents list."""

from __future__ import annotations

from importlib import import_module

from flows.modes import Flow

FLOW_CLASSES: dict[str, str] = {
    Flow.SHOP_ORDERS_TO_VISMA: "flows.shop_orders_to_visma.ShopOrdersToVisma",
    Flow.VISMA_ORDER_STATUS_TO_SHOP: "flows.visma_order_status_to_shop.VismaOrderStatusToShop",
    Flow.SHOP_PRODUCTS_TO_VISMA: "flows.shop_products_to_visma.ShopProductsToVisma",
    Flow.VISMA_PRODUCTS_TO_SHOP: "flows.visma_products_to_shop.VismaProductsToShop",
    Flow.VISMA_PRICES_TO_SHOP: "flows.visma_prices_to_shop.VismaPricesToShop",
    Flow.VISMA_PRICE_LISTS_TO_SHOP: "flows.visma_price_lists_to_shop.VismaPriceListsToShop",
    Flow.VISMA_STOCK_TO_SHOP: "flows.visma_stock_to_shop.VismaStockToShop",
}


def flow_class(flow: str):
    try:
        dotted = FLOW_CLASSES[flow]
    except KeyError:
        raise LookupError(f"flow {flow!r} is not implemented yet") from None
    module_name, class_name = dotted.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)


def implemented(flow: str) -> bool:
    return flow in FLOW_CLASSES
