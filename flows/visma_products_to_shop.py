"""Products from Visma to every shop (ERP mode): Visma's web-shop articles become shop products.

* Source of truth: Visma. Trigger: beat, every ``poll_products`` seconds.
* Pull: articles changed since the cursor (Visma's article timestamp order, ``Cursor`` per flow).
* Map: one ``Product_AddUpdate`` row per article and configured culture: name, EAN, weight, price
  from the base price list, VAT from the article's VAT code. (The unit is not carried: Jetshop's
  ``QuantitySuffix`` is a numeric id whose table is unverified.) An article taken off the web shop or made
  inactive is hidden in the shop, never deleted (its order history stays intact). Variant structure
  is not carried: each variant is its own article on both sides.
* Push: only what differs from the last payload sent to that shop, in batches; the article is then
  linked to the shop (``ExternalRef`` kind article), which is what lets stock and prices follow it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.jetshop import JetshopClient
from connectors.jetshop.records import ProductInput
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from flows import engine
from flows.engine import Outcome, batch
from flows.engine.base import BatchFlow, Change, Problem
from flows.engine.payloads import dump
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow
from flows.plugins.host import Alterations, altered
from flows.visma_prices_to_shop import convert

PAGE = 500


def product_rows(
    article: P.Article, cultures: list[str], price: Decimal | None, vat_percent: Decimal
) -> tuple[ProductInput, ...]:
    """Pure: the shop's rows for a Visma article, one per culture (also used by the initial sync)."""
    return tuple(
        ProductInput(
            article.number, culture, name=article.name, ean_code=article.bar_code or None, price=price,
            vat=vat_percent / 100, weight=article.weight or None,
            hide_product=article.inactive or not article.webshop,
        )
        for culture in cultures
    )  # fmt: skip


def base_prices(
    visma: VismaClient, integration: Integration, articles: dict[str, P.Article], rates: dict[str, Decimal]
) -> dict[str, Decimal]:
    """The base list's base-quantity price per article, as the shop's product price wants it."""
    price_list = next((p for p in visma.price_lists() if p.code == integration.base_price_list), None)
    if price_list is None or not articles:
        return {}
    if len(articles) > 1:
        prices = visma.iter_prices(price_list.code)
    else:  # a retry of one article reads its own prices, not the list
        prices = iter(visma.prices_of(price_list.code, next(iter(articles))))
    out = {}
    for price in prices:
        article = articles.get(price.article_number)
        if article is not None and price.quantity <= 1:
            out[article.number] = convert(
                price.price, rates.get(article.vat_code, Decimal(0)), from_incl=price_list.including_vat,
                to_incl=integration.product_price_includes_vat,
            )  # fmt: skip
    return out


def write_products(client: JetshopClient, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
    """One ``Product_AddUpdate`` for the batch's rows; an article fails when any of its rows does."""
    results = client.add_update_products([row for change in changes for row in change.record])
    failed = {r.article_number: r.status for r in results if not r.ok}
    return [Problem(article, f"{shop}: product not saved ({status})") for article, status in failed.items()]


def product_change(
    article: P.Article, shop: JetshopShop, price: Decimal | None, vat_percent: Decimal
) -> Change:
    """Pure: the change a Visma article makes in one shop. An article not for the web shop is only
    sent (to hide it) to a shop that has had it."""
    rows = product_rows(article, shop.culture_list, price, vat_percent)
    return Change(batch.key(shop.pk, article.number), article.number, dump(rows), rows,
                  only_if_sent_before=not article.webshop)  # fmt: skip


@dataclass
class Changed:
    """The articles changed since the cursor, with their VAT rates and base prices."""

    articles: list[P.Article]
    cursor: str = ""
    rates: dict[str, Decimal] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)


class VismaProductsToShop(BatchFlow[P.Article, Changed]):
    flow = Flow.VISMA_PRODUCTS_TO_SHOP
    kind = ExternalRef.Kind.ARTICLE
    linked_only = False  # this flow is what links articles to the shop

    def look_up(self, run: SyncRun, only: set[str] | None) -> Changed:
        visma = self.connections.visma
        if only is None:
            changed = self.changed_articles(run)
        else:
            found = [visma.get_article(number) for number in sorted(only)]
            changed = Changed([a for a in found if a is not None])
        if changed.articles:
            changed.rates = self.connections.vat_rates()
            by_number = {a.number: a for a in changed.articles}
            changed.prices = base_prices(visma, self.integration, by_number, changed.rates)
        return changed

    def changed_articles(self, run: SyncRun) -> Changed:
        cursor = run.cursor_before = engine.read_cursor(self.integration, self.flow)
        changed: list[P.Article] = []
        while True:
            page = self.connections.visma.articles_changed(cursor or None, limit=PAGE)
            changed.extend(page.items)
            if len(page.items) < PAGE:
                return Changed(changed, page.next_cursor or cursor)
            cursor = page.next_cursor or ""  # "" asks from the start, as None does

    def read(self, run: SyncRun, context: Changed, only: set[str] | None) -> Iterator[P.Article]:
        return iter(context.articles)

    def map(self, record: P.Article, shop: JetshopShop, context: Changed) -> Change | Problem:
        rate = context.rates.get(record.vat_code, Decimal(0))
        change = product_change(record, shop, context.prices.get(record.number), rate)
        if self.alterations:
            return altered(change, lambda rows: self.alterations.to_shop(record, rows), dump)
        return change

    @functools.cached_property
    def alterations(self) -> Alterations:
        """The integration's product rules and plugins (read once per cycle)."""
        return Alterations.of(self.integration)

    def send(self, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
        return write_products(self.connections.jetshop(shop), shop, changes)

    def done(self, run: SyncRun, context: Changed, only: set[str] | None) -> None:
        if context.cursor:
            engine.write_cursor(self.integration, self.flow, context.cursor)
            run.cursor_after = context.cursor

    def process(self, item: SyncItem) -> Outcome:
        return batch.retry(self, item)
