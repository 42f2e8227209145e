"""Products from the shop to Visma (Ecom and Kombo modes): each shop product and each variant
becomes a Visma article with the same article number.

* Source of truth: the shop. Trigger: beat, every ``poll_products`` seconds.
* Pull: products changed since the shop's cursor (Jetshop's ModifiedDate, Stockholm wall-clock time
  without offset), with an overlap of an hour and a bit: the boundary second may hold more products
  than the last page showed, and in the autumn DST hour a later write carries an earlier time.
  Re-reading costs little; the hash comparison drops what was already sent.
* Map: name (the agent writes it in Windows-1252 and says what it had to change), EAN, and the
  article account code for the product's VAT rate from the integration's account mappings. An
  article number Visma cannot hold, or a VAT rate without a mapping, parks that product with the
  reason; the others go on.
* Push: ``PUT /v1/articles/{number}`` per changed product (create or update); then the article is
  linked to the shop, so stock and prices from Visma follow it (Kombo). Our own stock writes move
  the shop's ModifiedDate, but leave the payload unchanged: no echo back into Visma.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from connectors.errors import PermanentError
from connectors.jetshop.records import Product
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from flows import engine
from flows.engine import Outcome, batch
from flows.engine.base import BatchFlow, Change, Problem
from flows.models import ArticleAccountMapping, ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow
from flows.order_mapping import percent
from flows.plugins.host import Alterations, altered

OVERLAP = timedelta(minutes=65)
# ADK_ARTICLE_NUMBER is 16 characters and a key: Visma refuses a longer one rather than cut it.
ARTICLE_NUMBER_LENGTH = 16
PUT_BATCH = 50


def article_input(product: Product, accounts: dict) -> P.ArticleInput | Problem:
    """Pure: the Visma article for a shop product, or the reason it cannot be one."""
    number = product.article_number
    payload = {"article": number, "name": product.name, "vat": str(product.vat)}
    if len(number) > ARTICLE_NUMBER_LENGTH:
        return Problem(number, f"article number {number!r} has {len(number)} characters; Visma holds at most "
                       f"{ARTICLE_NUMBER_LENGTH}", reason="article_number", status=SyncItem.Status.PARKED,
                       payload=payload)  # fmt: skip
    rate = percent(product.vat)
    if rate not in accounts:
        return Problem(number, f"VAT {rate} % has no article account mapping", reason="needs_mapping",
                       status=SyncItem.Status.PARKED, payload=payload)  # fmt: skip
    return P.ArticleInput(name=product.name or number, accounting_code=accounts[rate],
                          bar_code=product.ean_code or None, webshop=True)  # fmt: skip


def put_articles(visma: VismaClient, changes: list[Change]) -> list[Problem]:
    """Create or update each article; one Visma refuses is parked with Visma's reason."""
    problems = []
    for change in changes:
        try:
            visma.put_article(change.source, change.record)
        except PermanentError as exc:
            problems.append(
                Problem(change.source, f"Visma refused the article: {exc}", status=SyncItem.Status.PARKED)
            )
    return problems


def article_change(
    shop_product: ShopProduct, shop: JetshopShop, accounts: dict[Decimal, str]
) -> Change | Problem | None:
    """Pure: the Visma article a product of ``shop`` makes (products of other shops make none here)."""
    if shop_product.shop.pk != shop.pk:
        return None
    product = shop_product.product
    mapped = article_input(product, accounts)
    if isinstance(mapped, Problem):
        return mapped
    return Change(
        batch.key(shop.pk, product.article_number), product.article_number, mapped.to_dict(), mapped
    )


def accounts_by_rate(integration: Integration) -> dict[Decimal, str]:
    """The integration's article account per VAT rate (its account mappings)."""
    mappings = ArticleAccountMapping.objects.filter(integration=integration)
    return {rate.normalize(): code for rate, code in mappings.values_list("vat_rate", "account_code")}


@dataclass(frozen=True)
class ShopProduct:
    shop: JetshopShop
    product: Product


@dataclass
class Accounts:
    """The article account per VAT rate, and how far each shop's products were read."""

    by_rate: dict[Decimal, str]
    newest: dict[int, datetime] = field(default_factory=dict)


class ShopProductsToVisma(BatchFlow[ShopProduct, Accounts]):
    flow = Flow.SHOP_PRODUCTS_TO_VISMA
    kind = ExternalRef.Kind.ARTICLE
    linked_only = False  # this flow is what links articles to the shop

    def batch_size(self, shop: JetshopShop) -> int:
        return PUT_BATCH

    def look_up(self, run: SyncRun, only: set[str] | None) -> Accounts:
        return Accounts(accounts_by_rate(self.integration))

    def read(self, run: SyncRun, context: Accounts, only: set[str] | None) -> Iterator[ShopProduct]:
        for shop in self.shops():
            client = self.connections.jetshop(shop)
            if only is not None:
                for number in sorted(only):
                    product = client.get_product(number, shop.culture_list[0])
                    if product is not None:
                        yield ShopProduct(shop, product)
                continue
            cursor = engine.read_cursor(self.integration, self.flow, str(shop.pk))
            since = datetime.fromisoformat(cursor) - OVERLAP if cursor else None
            newest = datetime.fromisoformat(cursor) if cursor else None
            for product in client.iter_products_changed(since, shop.culture_list[0]):
                if product.modified and (newest is None or product.modified > newest):
                    newest = product.modified  # compared as instants: an autumn DST hour repeats the clock
                yield ShopProduct(shop, product)
            if newest is not None:
                context.newest[shop.pk] = newest

    def map(self, record: ShopProduct, shop: JetshopShop, context: Accounts) -> Change | Problem | None:
        change = article_change(record, shop, context.by_rate)
        if isinstance(change, Change) and self.alterations:
            return altered(change, lambda article: self.alterations.to_visma(record.product, article),
                           P.ArticleInput.to_dict)  # fmt: skip
        return change

    @functools.cached_property
    def alterations(self) -> Alterations:
        """The integration's product rules and plugins (read once per cycle)."""
        return Alterations.of(self.integration)

    def send(self, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
        return put_articles(self.connections.visma, changes)

    def done(self, run: SyncRun, context: Accounts, only: set[str] | None) -> None:
        for shop_pk, newest in context.newest.items():
            engine.write_cursor(self.integration, self.flow, newest.isoformat(), str(shop_pk))

    def process(self, item: SyncItem) -> Outcome:
        return batch.retry(self, item)
