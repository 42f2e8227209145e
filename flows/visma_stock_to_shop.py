"""Stock and stock status from Visma to every shop of the integration.

* Source of truth: Visma, also when a till sells from it. Trigger: beat, every ``poll_stock``.
* Pull: every web-shop article's stock figures, page by page (the whole list each cycle: stock
  timestamps are not a reliable change signal, and reading 100,000 figures takes seconds).
* Map: shop quantity = Visma's disposable quantity − quantities on shop orders not yet in Visma
  (they are sold in the shop but not reserved in Visma yet, peers-and-lessons.md C4) − the safety
  buffer, never below zero; the shop's stock status for in stock / out of stock when configured.
* Push: only articles linked to the shop (made by a products flow or the initial sync), only when
  the figure differs from the one last sent, in batches of stock-only ``Product_AddUpdate`` rows.
  An order moving into Visma changes nothing in the shop: the figure already left it out, so the
  shop sees no echo of our own writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from connectors.jetshop.records import Order, StockInput
from connectors.visma import protocol as P
from flows.engine import Outcome, batch
from flows.engine.base import BatchFlow, Change, Problem
from flows.engine.payloads import dump, load
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow

PAGE = 5000
# Orders sold in the shop and not (yet) reserved in Visma.
IN_FLIGHT = (
    SyncItem.Status.QUEUED,
    SyncItem.Status.PROCESSING,
    SyncItem.Status.PARKED,
    SyncItem.Status.FAILED,
)


def shop_quantity(disposable: Decimal, in_flight: Decimal, buffer: int) -> int:
    return max(0, int(disposable) - int(in_flight) - buffer)


def in_flight_quantities(integration: Integration, only: set[str] | None = None) -> Counter:
    """Article → quantity on shop orders that have not become a Visma order yet."""
    totals: Counter = Counter()
    payloads = (
        SyncItem.objects.filter(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status__in=IN_FLIGHT)
        .exclude(source_version="dry-run")
        .values_list("payload", flat=True)
    )
    for payload in payloads.iterator(chunk_size=500):
        for row in load(Order, payload).rows:
            if only is None or row.article_number in only:
                totals[row.article_number] += row.quantity
    return totals


@dataclass(frozen=True)
class InFlight:
    quantities: Counter
    buffer: int


def stock_change(line: P.StockLine, shop: JetshopShop, context: InFlight) -> Change | None:
    """Pure: the shop's stock row for a Visma stock line."""
    if not line.stock_goods:
        return None  # services, gift cards: always available, no stock to show
    count = shop_quantity(line.disposable, context.quantities[line.article_number], context.buffer)
    status = shop.out_of_stock_status_id if count == 0 else shop.in_stock_status_id
    record = StockInput(line.article_number, stock_count=count, stock_status_id=status)
    return Change(batch.key(shop.pk, line.article_number), line.article_number, dump(record), record)


class VismaStockToShop(BatchFlow[P.StockLine, InFlight]):
    flow = Flow.VISMA_STOCK_TO_SHOP
    kind = ExternalRef.Kind.STOCK

    def look_up(self, run: SyncRun, only: set[str] | None) -> InFlight:
        return InFlight(in_flight_quantities(self.integration, only), self.integration.stock_safety_buffer)

    def read(self, run: SyncRun, context: InFlight, only: set[str] | None) -> Iterator[P.StockLine]:
        visma = self.connections.visma
        if only is None:
            yield from visma.iter_stock(page_size=PAGE, webshop_only=True)
            return
        for number in sorted(only):
            article = visma.get_article(number)
            if article is not None and article.webshop:
                yield P.StockLine(article.number, article.in_stock, article.reserved, article.disposable,
                                  article.stock_goods, article.webshop, article.timestamp)  # fmt: skip

    def map(self, record: P.StockLine, shop: JetshopShop, context: InFlight) -> Change | None:
        return stock_change(record, shop, context)

    def send(self, shop: JetshopShop, changes: list[Change]) -> list[Problem]:
        results = self.connections.jetshop(shop).update_stock([c.record for c in changes], shop.culture_list)
        return [
            Problem(r.article_number, f"{shop}: stock not saved ({r.status}, stock {r.stock_result})")
            for r in results
            if not r.ok
        ]

    def process(self, item: SyncItem) -> Outcome:
        """Retry one article from the console: its stock is read and sent again, now."""
        return batch.retry(self, item)
