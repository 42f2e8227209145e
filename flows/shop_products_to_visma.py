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

from datetime import datetime, timedelta

from connectors.errors import PermanentError
from connectors.jetshop.records import Product
from connectors.visma import protocol as P
from flows import catalogue, engine
from flows.catalogue import Change, Problem, Tally
from flows.connections import Connections
from flows.engine import Outcome
from flows.models import ArticleAccountMapping, ExternalRef, Integration, JetshopShop, SyncItem, SyncRun
from flows.modes import Flow
from flows.order_mapping import percent

OVERLAP = timedelta(minutes=65)
# ADK_ARTICLE_NUMBER is 16 characters and a key: Visma refuses a longer one rather than cut it.
ARTICLE_NUMBER_LENGTH = 16
PUT_BATCH = 50


def article_input(product: Product, accounts: dict) -> P.ArticleInput | Problem:
    """Pure: the Visma article for a shop product, or the reason it cannot be one."""
    number = product.article_number
    if len(number) > ARTICLE_NUMBER_LENGTH:
        return Problem(number, f"article number {number!r} has {len(number)} characters; Visma holds at most "
                       f"{ARTICLE_NUMBER_LENGTH}", reason="article_number", parked=True)  # fmt: skip
    rate = percent(product.vat)
    if rate not in accounts:
        return Problem(
            number, f"VAT {rate} % has no article account mapping", reason="needs_mapping", parked=True
        )
    return P.ArticleInput(name=product.name or number, accounting_code=accounts[rate],
                          bar_code=product.ean_code or None, webshop=True)  # fmt: skip


def put_articles(visma, batch: list[Change[P.ArticleInput]]) -> list[Problem]:  # type: ignore[no-untyped-def]
    """Create or update each article; one Visma refuses is parked with Visma's reason."""
    problems = []
    for change in batch:
        try:
            visma.put_article(change.article, change.record)
        except PermanentError as exc:
            problems.append(Problem(change.article, f"Visma refused the article: {exc}", parked=True))
    return problems


class ShopProductsToVisma:
    flow = Flow.SHOP_PRODUCTS_TO_VISMA

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections

    def sync(self, run: SyncRun, articles: set[str] | None = None) -> Tally:
        tally = Tally()
        accounts = dict(
            ArticleAccountMapping.objects.filter(integration=self.integration).values_list(
                "vat_rate", "account_code"
            )
        )
        accounts = {rate.normalize(): code for rate, code in accounts.items()}
        for shop in self.integration.shops.order_by("pk"):
            self.sync_shop(run, shop, accounts, tally, articles)
        catalogue.finish(run, tally)
        return tally

    def sync_shop(self, run: SyncRun, shop: JetshopShop, accounts: dict, tally: Tally, articles) -> None:  # type: ignore[no-untyped-def]
        client = self.connections.jetshop(shop)
        scope = str(shop.pk)
        cursor = engine.read_cursor(self.integration, self.flow, scope)
        since = datetime.fromisoformat(cursor) - OVERLAP if cursor and articles is None else None
        [target] = catalogue.shop_targets(self, run, ExternalRef.Kind.ARTICLE, tally, self.sender, [shop])
        newest = datetime.fromisoformat(cursor) if cursor else None
        for product in client.iter_products_changed(since, shop.culture_list[0]):
            if articles is not None and product.article_number not in articles:
                continue
            tally.read += 1
            if product.modified and (newest is None or product.modified > newest):
                newest = product.modified  # compared as instants: an autumn DST hour repeats the clock
            mapped = article_input(product, accounts)
            if isinstance(mapped, Problem):
                tally.failed += 1
                payload = {"article": product.article_number, "name": product.name, "vat": str(product.vat)}
                catalogue.record_problem(run, mapped, payload)
                continue
            change = Change(catalogue.key(shop.pk, product.article_number), product.article_number,
                            mapped.to_dict(), mapped)  # fmt: skip
            if target.last.differs(change):
                target.sender.add(change)
        target.sender.flush()
        if newest and articles is None:
            engine.write_cursor(self.integration, self.flow, newest.isoformat(), scope)

    def sender(self, client, shop: JetshopShop):  # type: ignore[no-untyped-def]
        visma = self.connections.visma
        return lambda batch: put_articles(visma, batch)

    def process(self, item: SyncItem) -> Outcome:
        return catalogue.retry(self, item, ExternalRef.Kind.ARTICLE)
