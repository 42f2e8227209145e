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

from decimal import Decimal

from connectors.jetshop.records import ProductInput
from connectors.visma import protocol as P
from flows import catalogue, engine
from flows.catalogue import Change, Problem, Tally
from flows.connections import Connections
from flows.engine import Outcome
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow
from flows.payloads import dump
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
    visma, integration: Integration, articles: dict[str, P.Article], rates: dict[str, Decimal]
) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    """The base list's base-quantity price per article, as the shop's product price wants it."""
    price_list = next((p for p in visma.price_lists() if p.code == integration.base_price_list), None)
    if price_list is None:
        return {}
    out = {}
    for price in visma.iter_prices(price_list.code):
        article = articles.get(price.article_number)
        if article is not None and price.quantity <= 1:
            out[article.number] = convert(
                price.price, rates.get(article.vat_code, Decimal(0)), from_incl=price_list.including_vat,
                to_incl=integration.product_price_includes_vat,
            )  # fmt: skip
    return out


def write_products(client, shop: JetshopShop, batch: list[Change[tuple[ProductInput, ...]]]) -> list[Problem]:  # type: ignore[no-untyped-def]
    """One ``Product_AddUpdate`` for the batch's rows; an article fails when any of its rows does."""
    results = client.add_update_products([row for change in batch for row in change.record])
    failed = {r.article_number: r.status for r in results if not r.ok}
    return [Problem(article, f"{shop}: product not saved ({status})") for article, status in failed.items()]


class VismaProductsToShop:
    flow = Flow.VISMA_PRODUCTS_TO_SHOP

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections

    def changed_articles(self, run: SyncRun) -> tuple[list[P.Article], str]:
        cursor = run.cursor_before = engine.read_cursor(self.integration, self.flow)
        changed: list[P.Article] = []
        while True:
            page = self.connections.visma.articles_changed(cursor or None, limit=PAGE)
            changed.extend(page.items)
            if len(page.items) < PAGE:
                return changed, page.next_cursor or cursor
            cursor = page.next_cursor

    def sync(self, run: SyncRun, articles: set[str] | None = None) -> Tally:
        tally = Tally()
        if articles is None:
            changed, cursor_after = self.changed_articles(run)
        else:
            found = [self.connections.visma.get_article(number) for number in articles]
            changed, cursor_after = [a for a in found if a is not None], ""
        rates = self.connections.vat_rates() if changed else {}
        articles_by_number = {a.number: a for a in changed}
        prices = (
            base_prices(self.connections.visma, self.integration, articles_by_number, rates)
            if changed
            else {}
        )
        targets = catalogue.shop_targets(self, run, ExternalRef.Kind.ARTICLE, tally, self.sender)
        for article in changed:
            tally.read += 1
            for target in targets:
                ref_key = catalogue.key(target.shop.pk, article.number)
                if not article.webshop and ref_key not in target.last:
                    continue  # not for the web shop, and never was: nothing to show or hide
                rate = rates.get(article.vat_code, Decimal(0))
                rows = product_rows(article, target.shop.culture_list, prices.get(article.number), rate)
                change = Change(ref_key, article.number, dump(rows), rows)
                if target.last.differs(change):
                    target.sender.add(change)
        catalogue.flush(targets)
        if cursor_after:
            engine.write_cursor(self.integration, self.flow, cursor_after)
            run.cursor_after = cursor_after
        catalogue.finish(run, tally)
        return tally

    def sender(self, client, shop: JetshopShop):  # type: ignore[no-untyped-def]
        return lambda batch: write_products(client, shop, batch)

    def process(self, item: SyncItem) -> Outcome:
        return catalogue.retry(self, item, ExternalRef.Kind.ARTICLE)
