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

from decimal import ROUND_HALF_UP, Decimal

from connectors.jetshop.records import PriceListPrice
from flows import catalogue
from flows.catalogue import Change, Problem, Tally
from flows.connections import Connections
from flows.engine import Outcome, payload_hash
from flows.models import ExternalRef, Integration, JetshopShop, PriceListMapping, SyncItem, SyncRun
from flows.modes import Flow

PAGE = 5000
CENT, WHOLE = Decimal("0.01"), Decimal(1)


class VismaPriceListsToShop:
    flow = Flow.VISMA_PRICE_LISTS_TO_SHOP

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections

    def shops_for(self, mapping: PriceListMapping) -> list[JetshopShop]:
        shops = list(self.integration.shops.order_by("pk"))
        using = [
            s for s in shops if s.channels.filter(price_list_guid=mapping.jetshop_price_list_guid).exists()
        ]
        return using or shops

    def sync(self, run: SyncRun, articles: set[str] | None = None) -> Tally:
        """``articles`` narrows a retry to ``"<list code>:<article>"`` records."""
        tally = Tally()
        visma = self.connections.visma
        rates: dict[str, Decimal] | None = None
        breaks = 0
        for mapping in self.integration.price_list_mappings.order_by("visma_price_list"):
            guid = str(mapping.jetshop_price_list_guid)
            if not mapping.includes_vat and rates is None:
                rates = catalogue.article_vat_rates(self.connections)
            send_for = lambda client, shop, m=mapping: self.sender(client, shop, m)  # noqa: E731
            shops = self.shops_for(mapping)
            targets = catalogue.shop_targets(self, run, ExternalRef.Kind.PRICE_LIST, tally, send_for, shops)
            for price in visma.iter_prices(mapping.visma_price_list, page_size=PAGE):
                source = f"{mapping.visma_price_list}:{price.article_number}"
                if articles is not None and source not in articles:
                    continue
                if price.quantity > 1:
                    breaks += not_transferable(
                        run, mapping, price.article_number, price.quantity, price.price
                    )
                    continue
                tally.read += 1
                value = price.price
                if not mapping.includes_vat:
                    value = value * (1 + (rates or {}).get(price.article_number, Decimal(0)) / 100)
                for target in targets:
                    step = CENT if target.shop.price_list_decimals else WHOLE
                    record = PriceListPrice(price.article_number, guid, value.quantize(step, ROUND_HALF_UP))
                    target.offer(record, source, catalogue.key(target.shop.pk, guid, price.article_number))
            catalogue.flush(targets)
        if breaks:
            catalogue.run_log(run, f"{breaks} quantity-break price(s) newly reported as not transferable")
        catalogue.finish(run, tally)
        return tally

    def sender(self, client, shop: JetshopShop, mapping: PriceListMapping):  # type: ignore[no-untyped-def]
        def send(batch: list[Change[PriceListPrice]]) -> list[Problem]:
            results = client.update_price_list_prices([c.record for c in batch])
            return [
                Problem(f"{mapping.visma_price_list}:{r.article_number}", f"{shop}: {r.message or 'refused'}")
                for r in results
                if not r.success
            ]

        return send

    def process(self, item: SyncItem) -> Outcome:
        return catalogue.retry(self, item, ExternalRef.Kind.PRICE_LIST)


def not_transferable(
    run: SyncRun, mapping: PriceListMapping, article: str, quantity: Decimal, price: Decimal
) -> int:
    """One skipped item per quantity break, created once: the console lists what the shop lacks."""
    payload = {"price_list": mapping.visma_price_list, "article": article, "from_quantity": str(quantity),
               "price": str(price)}  # fmt: skip
    _, created = SyncItem.objects.get_or_create(
        integration_id=run.integration_id,
        flow=run.flow,
        source_id=f"{mapping.visma_price_list}:{article}:{quantity.normalize():f}",
        source_version=payload_hash(payload)[:32],
        defaults={
            "run": run,
            "reference": article,
            "payload": payload,
            "status": SyncItem.Status.SKIPPED,
            "reason": "not_transferable",
            "last_error": (
                f"Visma price list {mapping.visma_price_list} has {article} at {price} from "
                f"{quantity.normalize():f} units: a Jetshop price list holds one price per article, "
                "so this break is not transferred"
            ),
        },
    )
    return int(created)
