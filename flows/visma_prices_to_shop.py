"""Prices from Visma's base price list to the shop's product price.

* Source of truth: Visma. Trigger: beat, every ``poll_prices`` seconds.
* Pull: the base price list (``Integration.base_price_list``), whole, each cycle: Jetshop's
  ModifiedDate does not move on price writes and Visma's price timestamps are not a verified
  change signal, so the delta is found by comparing with what was last sent.
* Map: the base-quantity price, converted between incl. and excl. VAT at the article's rate when
  the Visma list and the shop's product price differ (``product_price_includes_vat``). Quantity
  breaks are the price lists flow's to report.
* Push: linked articles only, changed prices only, in batches of ``Product_AddUpdate`` rows that
  carry nothing but the price (omitted elements are left as they are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from connectors.errors import PermanentError
from connectors.jetshop.records import ProductInput
from connectors.visma import protocol as P
from flows.engine import Outcome, batch
from flows.engine.base import BatchFlow, Change, Problem
from flows.engine.payloads import dump
from flows.models import ExternalRef, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow

PAGE = 5000
FOUR = Decimal("0.0001")


def convert(price: Decimal, rate_percent: Decimal, *, from_incl: bool, to_incl: bool) -> Decimal:
    """A price between incl. and excl. VAT; four decimals, like the shop stores prices."""
    factor = 1 + rate_percent / 100
    if from_incl and not to_incl:
        price = price / factor
    elif to_incl and not from_incl:
        price = price * factor
    return price.quantize(FOUR)


@dataclass(frozen=True)
class BasePrices:
    from_incl: bool
    to_incl: bool
    rates: dict[str, Decimal]  # article → VAT rate in percent, when a conversion is needed


def price_change(price: P.Price, shop: JetshopShop, context: BasePrices) -> Change | None:
    """Pure: the shop's product price for the base list's price of an article."""
    if price.quantity > 1:
        return None  # a quantity break: the product has one price
    value = convert(price.price, context.rates.get(price.article_number, Decimal(0)),
                    from_incl=context.from_incl, to_incl=context.to_incl)  # fmt: skip
    record = ProductInput(price.article_number, shop.culture_list[0], price=value)
    return Change(batch.key(shop.pk, price.article_number), price.article_number, dump(record), record)


class VismaPricesToShop(BatchFlow[P.Price, BasePrices]):
    flow = Flow.VISMA_PRICES_TO_SHOP
    kind = ExternalRef.Kind.PRICE
    row_per_culture = False

    def look_up(self, run: SyncRun, only: set[str] | None) -> BasePrices:
        code = self.integration.base_price_list
        price_list = next((p for p in self.connections.visma.price_lists() if p.code == code), None)
        if price_list is None:
            raise PermanentError(f"the base price list {code!r} does not exist in Visma", system="visma")
        to_incl = self.integration.product_price_includes_vat
        rates = batch.article_vat_rates(self.connections, only) if price_list.including_vat != to_incl else {}
        return BasePrices(price_list.including_vat, to_incl, rates)

    def read(self, run: SyncRun, context: BasePrices, only: set[str] | None) -> Iterator[P.Price]:
        visma, code = self.connections.visma, self.integration.base_price_list
        if only is None:
            yield from visma.iter_prices(code, page_size=PAGE)
            return
        for article in sorted(only):
            yield from visma.prices_of(code, article)

    def map(self, record: P.Price, shop: JetshopShop, context: BasePrices) -> Change | None:
        return price_change(record, shop, context)

    def send(self, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
        results = self.connections.jetshop(shop).add_update_products([c.record for c in changes])
        return [
            Problem(r.article_number, f"{shop}: price not saved ({r.status})") for r in results if not r.ok
        ]

    def process(self, item: SyncItem) -> Outcome:
        return batch.retry(self, item)
