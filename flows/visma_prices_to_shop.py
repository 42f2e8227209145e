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

from decimal import Decimal

from connectors.errors import PermanentError
from connectors.jetshop.records import ProductInput
from flows import catalogue
from flows.catalogue import Change, Problem, Tally
from flows.connections import Connections
from flows.engine import Outcome
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
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


class VismaPricesToShop:
    flow = Flow.VISMA_PRICES_TO_SHOP

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections

    def sync(self, run: SyncRun, articles: set[str] | None = None) -> Tally:
        tally = Tally()
        visma = self.connections.visma
        code = self.integration.base_price_list
        price_list = next((p for p in visma.price_lists() if p.code == code), None)
        if price_list is None:
            raise PermanentError(f"the base price list {code!r} does not exist in Visma", system="visma")
        to_incl = self.integration.product_price_includes_vat
        rates = catalogue.article_vat_rates(self.connections) if price_list.including_vat != to_incl else {}
        targets = catalogue.shop_targets(self, run, ExternalRef.Kind.PRICE, tally, self.sender)
        for price in visma.iter_prices(code, page_size=PAGE):
            if price.quantity > 1 or (articles is not None and price.article_number not in articles):
                continue
            tally.read += 1
            value = convert(
                price.price, rates.get(price.article_number, Decimal(0)),
                from_incl=price_list.including_vat, to_incl=to_incl,
            )  # fmt: skip
            for target in targets:
                target.offer(ProductInput(price.article_number, target.shop.culture_list[0], price=value))
        catalogue.flush(targets)
        catalogue.finish(run, tally)
        return tally

    def sender(self, client, shop: JetshopShop):  # type: ignore[no-untyped-def]
        def send(batch: list[Change[ProductInput]]) -> list[Problem]:
            results = client.add_update_products([c.record for c in batch])
            return [
                Problem(r.article_number, f"{shop}: price not saved ({r.status})")
                for r in results
                if not r.ok
            ]

        return send

    def process(self, item: SyncItem) -> Outcome:
        return catalogue.retry(self, item, ExternalRef.Kind.PRICE)
