"""Preview of the product rules and plugins: a few real products through the catalogue flows' maps.

The catalogue flows keep no product payloads (they compare hashes), so the preview reads the
products now, read-only, from the side the integration's flow mode sends from: Visma's articles
for products Visma → shop, the shop's products for products shop → Visma. It then runs the same
pure steps the flow runs (the flow's map, then the product rules and ``product_to_*`` plugins)
and keeps each product's before → after. Nothing is written to the shop, to Visma or to this
service; a connector that does not answer raises ``ConnectorError`` for the page to show.

Which products: the article numbers the consultant typed, else the last ones the integration
synced (``ExternalRef`` kind article, newest first), else, before anything was synced, the first
of the source's catalogue (Visma's in timestamp order, the shop's by modified date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from connectors.jetshop.records import Product
from flows.engine import MappingError
from flows.engine.base import Problem
from flows.engine.connections import Connections
from flows.models import ExternalRef, Integration, JetshopShop
from flows.modes import Flow
from flows.plugins.host import Alterations, Trail
from flows.shop_products_to_visma import ShopProduct, accounts_by_rate, article_change
from flows.visma_products_to_shop import base_prices, product_change

PRODUCT_FLOWS = (Flow.VISMA_PRODUCTS_TO_SHOP, Flow.SHOP_PRODUCTS_TO_VISMA)


@dataclass
class PreviewedProduct:
    """One product under the current rules and plugins: where it goes, the verdict, the changes."""

    article: str
    flow: str  # the flow's label ("products Visma → shop")
    shop: str
    verdict: str
    trail: list[dict[str, Any]] = field(default_factory=list)


def product_flows(integration: Integration) -> list[Flow]:
    """The product flows the integration's mode (and package) runs."""
    return [flow for flow in PRODUCT_FLOWS if flow in integration.flows]


def wanted_numbers(raw: str) -> list[str]:
    """Article numbers typed in the preview's box (commas, spaces or lines between them)."""
    numbers = [part.strip() for part in raw.replace(",", " ").split()]
    return list(dict.fromkeys(n for n in numbers if n))


def last_synced(integration: Integration, count: int) -> list[str]:
    """The article numbers the integration synced last (its article links, newest first)."""
    keys = ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.ARTICLE).order_by(
        "-last_synced_at", "-id"
    )
    numbers: dict[str, None] = {}
    for key in keys.values_list("shop_id", flat=True).iterator(chunk_size=500):
        numbers.setdefault(key.split(":", 1)[-1], None)
        if len(numbers) >= count:
            break
    return list(numbers)


def preview_products(integration: Integration, count: int, numbers: list[str]) -> list[PreviewedProduct]:
    """Up to ``count`` products per product flow of the integration, mapped with the rules and plugins."""
    flows = product_flows(integration)
    if not flows:
        return []
    connections = Connections(integration)
    alterations = Alterations.of(integration)
    chosen = numbers[:count] or last_synced(integration, count)
    results: list[PreviewedProduct] = []
    for flow in flows:
        if flow == Flow.VISMA_PRODUCTS_TO_SHOP:
            results += to_shop(integration, connections, alterations, chosen, count)
        else:
            results += to_visma(integration, connections, alterations, chosen, count)
    return results


def to_shop(
    integration: Integration,
    connections: Connections,
    alterations: Alterations,
    numbers: list[str],
    count: int,
) -> list[PreviewedProduct]:
    """Visma articles as the products flow Visma → shop would write them to each shop."""
    visma = connections.visma
    if numbers:
        articles = [a for a in (visma.get_article(n) for n in numbers) if a is not None]
    else:
        articles = visma.articles_changed(None, limit=count).items
    if not articles:
        return []
    rates = connections.vat_rates()
    prices = base_prices(visma, integration, {a.number: a for a in articles}, rates)
    label = str(Flow.VISMA_PRODUCTS_TO_SHOP.label)
    results = []
    for shop in integration.shops.order_by("pk"):
        for article in articles:
            change = product_change(
                article, shop, prices.get(article.number), rates.get(article.vat_code, Decimal(0))
            )
            results.append(_altered(article.number, label, shop, alterations.to_shop, article, change.record))
    return results


def to_visma(
    integration: Integration,
    connections: Connections,
    alterations: Alterations,
    numbers: list[str],
    count: int,
) -> list[PreviewedProduct]:
    """Shop products as the products flow shop → Visma would write them as Visma articles."""
    accounts = accounts_by_rate(integration)
    label = str(Flow.SHOP_PRODUCTS_TO_VISMA.label)
    results = []
    for shop in integration.shops.order_by("pk"):
        client, culture = connections.jetshop(shop), shop.culture_list[0]
        products: list[Product]
        if numbers:
            products = [p for p in (client.get_product(n, culture) for n in numbers) if p is not None]
        else:
            products = client.list_products_changed(None, culture, take=count)
        for product in products[:count]:
            mapped = article_change(ShopProduct(shop, product), shop, accounts)
            if mapped is None:
                continue
            if isinstance(mapped, Problem):
                verdict = gettext("would be parked: %(why)s") % {"why": mapped.message}
                results.append(PreviewedProduct(product.article_number, label, str(shop), verdict))
                continue
            results.append(
                _altered(product.article_number, label, shop, alterations.to_visma, product, mapped.record)
            )
    return results


def _altered(
    number: str, label: str, shop: JetshopShop, alter: Callable[..., tuple[Any, Trail]], *records: Any
) -> PreviewedProduct:
    """The product's rules and plugins run as the flow runs them (``altered``): a failure parks it."""
    try:
        _record, trail = alter(*records)
    except MappingError as exc:
        verdict = gettext("would be parked: %(why)s") % {"why": exc}
        return PreviewedProduct(number, label, str(shop), verdict)
    changed = any(step["changes"] and not step["dry_run"] for step in trail)
    verdict = gettext("would change") if changed else gettext("no change")
    return PreviewedProduct(number, label, str(shop), verdict, trail)
