"""Visma price lists to the shop's price lists (e.g. a reseller list bound to a customer group).

* Source of truth: Visma. Trigger: beat, every ``poll_price_lists`` seconds.
* Pull: each mapped Visma price list (``PriceListMapping``), whole, each cycle.
* Map: Jetshop price lists are written incl. VAT; a Visma list kept excl. VAT gets the article's
  VAT added, and the result is rounded to the öre, or to whole kronor for a shop whose price-list
  fields are integers (``JetshopShop.price_list_decimals`` off, as in the recorded shop). Jetshop
  has one price per article and list, so quantity-break rows (a price from 10 units up) cannot be
  carried: each is reported once as not transferable (a skipped item with the reason), never
  dropped in silence.
* Push: to the shops whose channels use the list (every shop when none names it), linked articles
  only, changed prices only, in batches of ``PriceList_UpdateArticleIncVAT`` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from connectors.jetshop.records import PriceListPrice
from connectors.visma import protocol as P
from flows.engine import Outcome, batch
from flows.engine.base import BatchFlow, Change, Problem
from flows.engine.payloads import dump
from flows.models import ExternalRef, JetshopShop, PriceListMapping, SyncItem, SyncRun
from flows.modes import Flow

PAGE = 5000
CENT, WHOLE = Decimal("0.01"), Decimal(1)


@dataclass(frozen=True)
class Listed:
    """A Visma price as one mapped list carries it."""

    mapping: PriceListMapping
    price: P.Price

    @property
    def source(self) -> str:
        return f"{self.mapping.visma_price_list}:{self.price.article_number}"


@dataclass(frozen=True)
class Lists:
    shops: dict[str, set[int]]  # Visma list code → the shops whose channels use it (all when none)
    rates: dict[str, Decimal]  # article → VAT rate in percent, for lists kept excl. VAT


def list_price_change(listed: Listed, shop: JetshopShop, context: Lists) -> Change | Problem | None:
    """Pure: the shop price-list row for a Visma list price, or a quantity break it cannot hold."""
    mapping, price = listed.mapping, listed.price
    if shop.pk not in context.shops[mapping.visma_price_list]:
        return None
    if price.quantity > 1:
        quantity = f"{price.quantity.normalize():f}"
        return Problem(
            f"{listed.source}:{quantity}",
            f"Visma price list {mapping.visma_price_list} has {price.article_number} at {price.price} from "
            f"{quantity} units: a Jetshop price list holds one price per article, so this break is not "
            "transferred",
            reason="not_transferable",
            status=SyncItem.Status.SKIPPED,
            article=price.article_number,
            payload={"price_list": mapping.visma_price_list, "article": price.article_number,
                     "from_quantity": quantity, "price": str(price.price)},
        )  # fmt: skip
    value = price.price
    if not mapping.includes_vat:
        value = value * (1 + context.rates.get(price.article_number, Decimal(0)) / 100)
    guid = str(mapping.jetshop_price_list_guid)
    step = CENT if shop.price_list_decimals else WHOLE
    record = PriceListPrice(price.article_number, guid, value.quantize(step, ROUND_HALF_UP))
    return Change(batch.key(shop.pk, guid, price.article_number), listed.source, dump(record), record,
                  article=price.article_number)  # fmt: skip


class VismaPriceListsToShop(BatchFlow[Listed, Lists]):
    flow = Flow.VISMA_PRICE_LISTS_TO_SHOP
    kind = ExternalRef.Kind.PRICE_LIST
    row_per_culture = False

    def mappings(self) -> list[PriceListMapping]:
        return list(self.integration.price_list_mappings.order_by("visma_price_list"))

    def look_up(self, run: SyncRun, only: set[str] | None) -> Lists:
        shops = self.shops()
        using = {}
        for mapping in self.mappings():
            guid = mapping.jetshop_price_list_guid
            named = {s.pk for s in shops if s.channels.filter(price_list_guid=guid).exists()}
            using[mapping.visma_price_list] = named or {s.pk for s in shops}
        excl = any(not m.includes_vat for m in self.mappings())
        articles = None if only is None else {source.rpartition(":")[2] for source in only}
        rates = batch.article_vat_rates(self.connections, articles) if excl else {}
        return Lists(using, rates)

    def read(self, run: SyncRun, context: Lists, only: set[str] | None) -> Iterator[Listed]:
        """``only`` narrows a retry to ``"<list code>:<article>"`` records."""
        visma = self.connections.visma
        for mapping in self.mappings():
            if only is None:
                prices: Iterator[P.Price] = visma.iter_prices(mapping.visma_price_list, page_size=PAGE)
            else:
                code = mapping.visma_price_list
                wanted = sorted(s.partition(":")[2] for s in only if s.partition(":")[0] == code)
                prices = (p for article in wanted for p in visma.prices_of(code, article))
            for price in prices:
                yield Listed(mapping, price)

    def map(self, record: Listed, shop: JetshopShop, context: Lists) -> Change | Problem | None:
        return list_price_change(record, shop, context)

    def send(self, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
        results = self.connections.jetshop(shop).update_price_list_prices([c.record for c in changes])
        by_article = {c.record.article_number: c.source for c in changes}
        return [
            Problem(by_article.get(r.article_number, r.article_number), f"{shop}: {r.message or 'refused'}")
            for r in results
            if not r.success
        ]

    def process(self, item: SyncItem) -> Outcome:
        return batch.retry(self, item)
