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
from decimal import Decimal

from connectors.jetshop.records import Order, StockInput
from flows import catalogue
from flows.catalogue import Change, Problem, Tally
from flows.connections import Connections
from flows.engine import Outcome
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow
from flows.payloads import load

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


def in_flight_quantities(integration: Integration) -> Counter:
    """Article → quantity on shop orders that have not become a Visma order yet."""
    totals: Counter = Counter()
    payloads = (
        SyncItem.objects.filter(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status__in=IN_FLIGHT)
        .exclude(source_version="dry-run")
        .values_list("payload", flat=True)
    )
    for payload in payloads.iterator(chunk_size=500):
        for row in load(Order, payload).rows:
            totals[row.article_number] += row.quantity
    return totals


class VismaStockToShop:
    flow = Flow.VISMA_STOCK_TO_SHOP

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections

    def sync(self, run: SyncRun, articles: set[str] | None = None) -> Tally:
        tally = Tally()
        in_flight = in_flight_quantities(self.integration)
        buffer = self.integration.stock_safety_buffer
        targets = catalogue.shop_targets(self, run, ExternalRef.Kind.STOCK, tally, self.sender)
        for line in self.connections.visma.iter_stock(page_size=PAGE, webshop_only=True):
            if articles is not None and line.article_number not in articles:
                continue
            tally.read += 1
            if not line.stock_goods:
                continue  # services, gift cards: always available, no stock to show
            count = shop_quantity(line.disposable, in_flight[line.article_number], buffer)
            for target in targets:
                shop = target.shop
                status = shop.out_of_stock_status_id if count == 0 else shop.in_stock_status_id
                target.offer(StockInput(line.article_number, stock_count=count, stock_status_id=status))
        catalogue.flush(targets)
        catalogue.finish(run, tally)
        return tally

    def sender(self, client, shop: JetshopShop):  # type: ignore[no-untyped-def]
        def send(batch: list[Change[StockInput]]) -> list[Problem]:
            results = client.update_stock([c.record for c in batch], shop.culture_list)
            return [
                Problem(r.article_number, f"{shop}: stock not saved ({r.status}, stock {r.stock_result})")
                for r in results
                if not r.ok
            ]

        return send

    def process(self, item: SyncItem) -> Outcome:
        """Retry one article from the console: its stock is read and sent again, now."""
        return catalogue.retry(self, item, ExternalRef.Kind.STOCK)
