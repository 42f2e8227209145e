"""Orders (with their customers) from every shop of an integration into Visma, as orders or invoices.

* Source of truth: the shop. Trigger: beat, every ``poll_orders`` seconds, whether or not anything
  seems to arrive (peers-and-lessons.md C1: never trust that orders will announce themselves).
* Pull: for each shop and each trigger status, the orders now in that status and placed within the
  shop's look-back window. An order becomes one item, ``<shop pk>:<order id>``, version "1" (or
  "dry-run" while the integration is not live, so switching to live transfers it for real).
* Map: ``flows.order_mapping`` (pure), after the customer is found or created
  (``flows.customers``). Unknown articles, methods, currencies and VAT rates park the order as
  "needs mapping", naming the value; parked orders resume by themselves once it exists.
* Push, exactly once: (1) the item is unique in the database; (2) Visma is asked for a document
  with our reference before anything is written; (3) the agent creates under an Idempotency-Key
  derived from the item, so a repeat, even concurrent, returns the same document.
* Done: the document exists, its number is in ``ExternalRef`` (kind order), the journey shows it,
  and the shop order is moved on to the shop's "status after transfer" when one is set.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.jetshop.records import Order
from connectors.visma import bounds
from connectors.visma import protocol as P
from flows import customers, engine, later, older_orders
from flows.engine import MappingError, Outcome, Skipped, SourceRecord, throttle
from flows.engine.base import ItemFlow, Page
from flows.engine.connections import Connections
from flows.engine.payloads import dump, load
from flows.models import (
    Channel,
    ExternalRef,
    Integration,
    JetshopShop,
    JourneyStep,
    MethodMapping,
    OlderOrders,
    SyncItem,
    SyncRun,
)
from flows.modes import Flow
from flows.order_mapping import Lookups, Mapped, Routing, draft_order, finish_order, method_code
from flows.plugins.host import Alterations, SkipOrder

log = logging.getLogger("flows.orders")
# Parked orders looked at again per run to see whether what they wait for exists now.
RESUME_BATCH = 200
# Visma errors that mean "something is not set up yet", with what the consultant must add.
NEEDS_MAPPING_CODES = {
    50: "article",
    20: "article",
    43: "currency",
    41: "terms-of-payment code",
    42: "way-of-delivery code",
    35: "price list",
    373: "vat",
}
# Codes Visma refused that come from our configuration (a method mapping or a channel's default),
# by the method whose mapping gives them: once a save gives the parked order another code, it goes
# on by itself, like an order that waited for a missing mapping. (A price list or a currency Visma
# lacks is the merchant's to add in Visma; a consultant retries those.)
REFUSED_CODES = {"terms-of-payment code": "payment", "way-of-delivery code": "delivery"}


class ShopOrdersToVisma(ItemFlow):
    flow = Flow.SHOP_ORDERS_TO_VISMA
    journey = True
    # Oldest first: when the agent comes back after a weekend, orders drain in the order placed.
    in_order = True

    def __init__(self, integration: Integration, connections: Connections) -> None:
        super().__init__(integration, connections)
        self._channels: dict[int, list[Channel]] = {}
        # Remembered customers of the orders being processed, read together (``prepare``).
        self._known_customers: dict[str, str] = {}
        # The shops' call waits (429s), read together for the orders being processed (``prepare``).
        self._throttles = throttle.Checked()

    # --- pull ---------------------------------------------------------------------------------------

    def shops(self) -> QuerySet[JetshopShop]:
        return self.integration.shops.prefetch_related(
            "order_triggers", Prefetch("channels", queryset=Channel.objects.order_by("pk"))
        ).order_by("pk")

    def pull(self, run: SyncRun) -> Iterator[Page]:
        """Parked orders that can go now, then each shop's orders in the trigger statuses."""
        yield Page(requeue=self.parked_that_can_go())
        version = "dry-run" if self.dry_run else "1"
        for shop in self.shops():
            triggers = [t.status_id for t in shop.order_triggers.all()]
            if not triggers:
                yield Page(
                    log=[
                        later.gettext("%(shop)s: no trigger statuses configured; nothing to pull", shop=shop)
                    ]
                )
                continue
            since = older_orders.lookback_start(shop)
            # A consultant asked for the orders placed before the window, since a date: this once.
            found = OlderOrders.objects.filter(shop=shop).first()
            fetch = found if found is not None and found.fetch_pending else None
            if fetch is not None and fetch.fetch_since is not None:
                since = min(since, older_orders.day_start(fetch.fetch_since))
            client = self.connections.jetshop(shop)
            try:
                with throttle.respect(throttle_key(shop)):
                    pulled = [(s, client.list_orders_by_status(s, since=since)) for s in triggers]
            except ConnectorError as exc:
                # One shop that does not answer must not hold back the others' orders; its own
                # orders come with the next poll (nothing was consumed from it).
                yield Page(errors=[f"{shop}: {exc}"])
                continue
            page = Page()
            if fetch is not None:
                window = older_orders.lookback_start(shop)
                older = sum(
                    1 for _, orders in pulled for o in orders if o.order_date and o.order_date < window
                )
                if older_orders.mark_fetched(fetch, older):
                    page.log.append(
                        later.ngettext(
                            "%(shop)s: %(count)d order placed before the look-back window fetched",
                            "%(shop)s: %(count)d orders placed before the look-back window fetched",
                            older,
                            shop=shop,
                            count=older,
                        )
                    )
            else:
                page.log += self.look_before_window(shop, client, triggers, since, found)
            stored = self.stored(shop, version, [o for _, orders in pulled for o in orders])
            for status_id, orders in pulled:
                page.log.append(
                    later.ngettext(
                        "%(shop)s: %(count)d order in status %(status)s",
                        "%(shop)s: %(count)d orders in status %(status)s",
                        len(orders),
                        shop=shop,
                        count=len(orders),
                        status=status_id,
                    )
                )
                new = [order for order in orders if source_id(shop, order) not in stored]
                page.already_stored += len(orders) - len(new)
                page.records += [
                    SourceRecord(
                        source_id=source_id(shop, order),
                        version=version,
                        payload=dump(order),
                        reference=shop.order_reference_prefix + order.order_number,
                        shop_id=shop.pk,
                    )
                    for order in new
                ]
            yield page

    def stored(self, shop: JetshopShop, version: str, orders: list[Order]) -> set[str]:
        """Which of these orders are items already: pulled again while they wait in the queue (a
        backlog drains over several runs) or stay in a trigger status (parked, failed). Storing
        them again would change nothing, so they are not encoded, hashed and sent to the database
        again, only counted. One query per shop."""
        if not orders:
            return set()
        return set(
            SyncItem.objects.filter(
                integration=self.integration,
                flow=self.flow,
                source_version=version,
                source_id__in=[source_id(shop, order) for order in orders],
            ).values_list("source_id", flat=True)
        )

    def look_before_window(
        self, shop: JetshopShop, client, triggers: list[int], since, found: OlderOrders | None
    ) -> list[later.Text]:
        """Now and then, the orders in a trigger status that the window leaves out (kept, shown)."""
        if not older_orders.check_due(found):
            return []
        try:
            with throttle.respect(throttle_key(shop)):
                older = [o for s in triggers for o in client.list_orders_by_status(s, until=since)]
        except ConnectorError as exc:
            return [
                later.gettext(
                    "%(shop)s: orders before the look-back window not checked (%(error)s)",
                    shop=shop,
                    error=exc,
                )
            ]
        older_orders.record(shop, older)
        if not older:
            return []
        return [
            later.ngettext(
                "%(shop)s: %(count)d order in a trigger status placed before the look-back window",
                "%(shop)s: %(count)d orders in a trigger status placed before the look-back window",
                len(older),
                shop=shop,
                count=len(older),
            )
        ]

    def parked_that_can_go(self) -> list[int]:
        """Orders waiting for a mapping or an article that exists now, or refused by Visma for a code
        the configuration no longer gives them (read here, queued by the engine)."""
        parked = (
            SyncItem.objects.filter(
                integration=self.integration,
                flow=self.flow,
                status=SyncItem.Status.PARKED,
                reason="needs_mapping",
            )
            .select_related("shop")
            .order_by("id")[:RESUME_BATCH]
        )
        ready = []
        codes: dict[str, dict[str, str]] = {"payment": {}, "delivery": {}}
        for mapping in MethodMapping.objects.filter(integration=self.integration):
            codes[mapping.kind][mapping.shop_value] = mapping.visma_code
        for item in parked:
            kind, value = item.result.get("kind"), item.result.get("value")
            if kind in ("payment", "delivery"):
                fixed = value in codes[kind]
            elif kind == "article" and value:
                fixed = self._exists_in_visma(value)
            elif kind in REFUSED_CODES and value:
                method = REFUSED_CODES[kind]
                fixed = self._code_now(item, method, codes[method]) not in (value, None)
            else:
                fixed = False  # channels, VAT codes, currencies: a consultant retries them
            if fixed:
                ready.append(item.pk)
        return ready

    def _code_now(self, item: SyncItem, method: str, table: dict[str, str]) -> str | None:
        """The code the configuration gives the parked order now (its method's mapping, else its
        channel's default), as the map would; None when that cannot be told without the order going."""
        if item.shop is None:
            return None
        try:
            order = load(Order, item.payload)
            routing = routing_of(self.channel_of(order, item.shop))
            if method == "payment":
                return method_code(method, order.payment_method, table, routing.terms_of_payment)
            return method_code(method, order.delivery_method, table, routing.way_of_delivery)
        except (MappingError, ValueError, TypeError, KeyError):
            return None

    def _exists_in_visma(self, article: str) -> bool:
        try:
            return self.connections.visma.get_article(article) is not None
        except ConnectorError:
            return False

    # --- process one order ----------------------------------------------------------------------

    def prepare(self, items: list[SyncItem]) -> None:
        """The remembered customers of these orders the run does not know yet, in one query instead
        of one per order, and their shops' call waits, in one cache read instead of one per order."""
        orders = [(i.shop_id, i.payload.get("customer_id")) for i in items]
        customers.remember_many(self.integration, orders, self._known_customers)
        self._throttles = throttle.Checked(throttle_key(i.shop) for i in items if i.shop is not None)

    def process(self, item: SyncItem) -> Outcome | Skipped:
        # The shop came with the claimed item.
        shop = item.shop
        if shop is None:  # as the look-up of pk=None did
            raise JetshopShop.DoesNotExist("the order's item names no shop")
        order = self.current_order(item, shop)

        # 1. Already in Visma? A crash after the write, a re-created item, an order typed in by hand.
        existing = self.in_visma(item.reference)
        if existing:
            step = (JourneyStep.Step.IN_VISMA, {**self.summary(existing[0]), "found_by_reference": True})
            return self.move_on(order, shop, existing[0], [step])
        # 2. Skip and park rules, before anything is looked up for an order that will not go.
        try:
            screened = self.alterations.screen(order, channel_name(self.channel_of(order, shop)))
        except SkipOrder as exc:
            return Skipped("skipped_by_rule", str(exc))
        # 3. Look up (reads only), 4. map (pure, rules and plugins included), 5. push.
        facts = self.look_up(item, order, shop)
        mapped = self.map(order, item.reference, facts)
        mapped.trail[:0] = screened
        return self.push(item, order, shop, facts, mapped)

    def look_up(self, item: SyncItem, order: Order, shop: JetshopShop) -> Facts:
        """What the map needs from the outside: channel, customer (found, not created), codes."""
        channel = self.channel_of(order, shop)
        customer = customers.choose(
            self.integration, self.connections.visma, order, source_id=item.source_id, shop_pk=shop.pk,
            channel=channel, retried=item.attempts > 1, known=self._known_customers,
        )  # fmt: skip
        return Facts(self.integration.document_type, channel, customer, self.lookups, self.alterations)

    @staticmethod
    def map(order: Order, reference: str, facts: Facts) -> Mapped:
        """Pure: the Visma document for the order, changed by the integration's rules and plugins,
        then its totals checked per VAT rate (whatever they changed, the check runs after them)."""
        draft = draft_order(
            order,
            kind=facts.kind,
            reference=reference,
            customer_number=facts.customer.number,
            lookups=facts.lookups,
            routing=routing_of(facts.channel),
        )
        channel = channel_name(facts.channel)
        document, trail = facts.alterations.order_mapped(order, channel, draft.document)
        mapped = finish_order(order, draft, document, facts.lookups)
        mapped.new_customer = facts.customer.new
        if facts.customer.new is not None:
            mapped.new_customer, customer_trail = facts.alterations.new_customer(
                order, channel, facts.customer.new
            )
            trail += customer_trail
        mapped.trail = trail
        return mapped

    def push(self, item: SyncItem, order: Order, shop: JetshopShop, facts: Facts, mapped: Mapped) -> Outcome:
        """Create the customer if it is new, the document under the item's idempotency key, and
        move the shop order on. In a dry run, what would have been written."""
        customer, channel = facts.customer, facts.channel
        if mapped.new_customer is not None:
            customer = dataclasses.replace(customer, new=mapped.new_customer)  # as the rules left it
        within_bounds(mapped.document, customer)
        if self.dry_run:
            if customer.new is not None:
                customer = dataclasses.replace(customer, how=customers.WOULD_CREATE)
            return Outcome(target_id="", result={"dry_run": True}, steps=[
                (JourneyStep.Step.MAPPED, self.mapped_step(mapped, customer, channel)),
                (JourneyStep.Step.WOULD_WRITE, {"document": mapped.document.to_dict()}),
            ])  # fmt: skip
        visma = self.connections.visma
        # Only an order that mapped creates its customer, once (the order's key, see settle).
        customer = customers.settle(
            self.integration, visma, customer, key=customer_key(item), known=self._known_customers
        )
        document_input = dataclasses.replace(mapped.document, customer_number=customer.number)
        steps: list[tuple[str, dict[str, Any]]] = [
            (JourneyStep.Step.MAPPED, self.mapped_step(mapped, customer, channel))
        ]
        try:
            document = visma.create_document(document_input, engine.idempotency_key(item))
        except PermanentError as exc:
            mapping_error = needs_mapping(exc, document_input)
            if mapping_error is None:
                raise
            raise mapping_error from exc
        except P.ProtocolError as exc:
            # Visma took the write but its answer does not read: the document may well exist. It is
            # looked up by our reference rather than left in Visma without us knowing.
            document = self.written_anyway(item, exc)
        steps.append((JourneyStep.Step.IN_VISMA, self.summary(document)))
        if after := facts.alterations.document_created(order, document):
            steps[-1][1]["after_document"] = after
        outcome = self.move_on(order, shop, document, steps)
        outcome.customer_ref = customer.mapping
        return outcome

    def in_visma(self, reference: str) -> list[P.Document]:
        """Our documents of the integration's kind with this reference, not cancelled."""
        kind = self.integration.document_type
        return [
            d for d in self.connections.visma.find_documents(reference) if d.kind == kind and not d.cancelled
        ]

    def written_anyway(self, item: SyncItem, exc: P.ProtocolError) -> P.Document:
        found = self.in_visma(item.reference)
        if not found:
            raise TransientError(f"the Visma agent's answer could not be read ({exc}); nothing was written")
        return dataclasses.replace(found[0], warnings=[*found[0].warnings, f"answer unreadable: {exc}"])

    def move_on(
        self, order: Order, shop: JetshopShop, document: P.Document, steps: list[tuple[str, dict[str, Any]]]
    ) -> Outcome:
        """The document exists: move the shop order on, so the status pull stops returning it."""
        if shop.transferred_status_id is not None:
            with self._throttles.respect(throttle_key(shop)):
                result = self.connections.jetshop(shop).set_order_status(
                    order.order_id, shop.transferred_status_id, send_mail=False
                )
            steps.append(
                (JourneyStep.Step.SHOP_STATUS, {"status_id": shop.transferred_status_id, "ok": result.success,
                                                "message": result.message})
            )  # fmt: skip
        return Outcome(
            target_id=str(document.number),
            ref_kind=ExternalRef.Kind.ORDER,
            ref_erp_id=f"{document.kind}:{document.number}",
            result={"document": f"{document.kind} {document.number}", "total": str(document.total),
                    "warnings": document.warnings},
            steps=steps,
        )  # fmt: skip

    @staticmethod
    def mapped_step(mapped: Mapped, customer: customers.Decision, channel: Channel | None) -> dict:
        return {
            "customer": customer.number or "—",
            **customer.journey(),
            "channel": channel.name if channel else "",
            "including_vat": mapped.document.including_vat,
            "rounding_row": str(mapped.rounding),
            "totals": mapped.breakdown,
            "warnings": [*mapped.warnings, *customer.warnings],
            **({"alterations": mapped.trail} if mapped.trail else {}),
        }

    def current_order(self, item: SyncItem, shop: JetshopShop) -> Order:
        """The stored order; on a retry, what the shop has now (a fixed article number, say)."""
        order = load(Order, item.payload)
        if item.attempts <= 1:
            return order
        fresh = self.connections.jetshop(shop).get_order(order.order_id)
        if fresh is not None and dump(fresh) != item.payload:
            engine.update_payload(item, dump(fresh))
            return fresh
        return order

    def channel_of(self, order: Order, shop: JetshopShop) -> Channel | None:
        """The order's channel by the shop's rule; an order that fits none is parked."""
        channels = self.channels(shop)
        if not channels:
            return None
        rule = shop.channel_rule
        value = {
            "channel_id": "" if order.channel_id is None else str(order.channel_id),
            "currency": order.currency_code,
            "culture": order.culture,
        }[rule]
        for channel in channels:
            if str(getattr(channel, rule)).lower() == value.lower():
                return channel
        if len(channels) == 1 and not value:
            return channels[0]
        raise MappingError(
            f"no channel of {shop} has {rule.replace('_', ' ')} {value!r}",
            reason="needs_mapping",
            detail={"kind": "channel", "value": value},
        )

    # Read once per run (one flow object serves a run of up to 500 orders).

    def channels(self, shop: JetshopShop) -> list[Channel]:
        if shop.pk not in self._channels:
            self._channels[shop.pk] = list(shop.channels.order_by("pk"))
        return self._channels[shop.pk]

    @functools.cached_property
    def lookups(self) -> Lookups:
        codes: dict[str, dict[str, str]] = {"payment": {}, "delivery": {}}
        for mapping in MethodMapping.objects.filter(integration=self.integration):
            codes[mapping.kind][mapping.shop_value] = mapping.visma_code
        return Lookups(
            vat_codes=self.connections.vat_codes(),
            payment_codes=codes["payment"],
            delivery_codes=codes["delivery"],
        )

    @functools.cached_property
    def alterations(self) -> Alterations:
        return Alterations.of(self.integration)

    @staticmethod
    def summary(document: P.Document) -> dict:
        return {
            "kind": document.kind,
            "number": document.number,
            "customer": document.customer_number,
            "total": str(document.total),
            "round_off": str(document.round_off),
            "vat": [{"code": v.vat_code, "rate": str(v.rate), "amount": str(v.amount)} for v in document.vat],
            "warnings": document.warnings,
        }


@dataclass(frozen=True)
class Facts:
    """What an order's map needs from outside it, looked up before the map runs."""

    kind: str
    channel: Channel | None
    customer: customers.Decision
    lookups: Lookups
    alterations: Alterations = field(default_factory=Alterations)


def source_id(shop: JetshopShop, order: Order) -> str:
    """The item of a shop order: ``<shop pk>:<order id>``."""
    return f"{shop.pk}:{order.order_id}"


def customer_key(item: SyncItem) -> str:
    """The Idempotency-Key a new customer is created under: the shop order's (its reference, as
    Visma knows the order), whatever its version or attempt, so one order never makes two."""
    return f"{item.integration_id}:{item.flow}:{item.reference or item.source_id}:customer"


def channel_name(channel: Channel | None) -> str:
    return channel.name if channel else ""


def throttle_key(shop: JetshopShop) -> str:
    return throttle_key_of(shop.pk)


def throttle_key_of(shop_pk: int) -> str:
    return f"jetshop-shop-{shop_pk}"


def routing_of(channel: Channel | None) -> Routing:
    if channel is None:
        return Routing()
    return Routing(
        channel=channel.name,
        order_text=channel.order_text,
        terms_of_payment=channel.terms_of_payment_code,
        way_of_delivery=channel.way_of_delivery_code,
    )


def within_bounds(document: P.DocumentInput, customer: customers.Decision) -> None:
    """Park an order Visma cannot hold (or the agent could not answer for) before anything is written."""
    problems = bounds.document_problems(dataclasses.replace(document, customer_number=customer.number or "0"))
    if customer.new is not None:
        problems += [
            dataclasses.replace(p, field=f"customer.{p.field}")
            for p in bounds.customer_problems(customer.new)
        ]
    if problems:
        raise MappingError(
            "Visma cannot hold the order as it is: " + "; ".join(str(p) for p in problems[:5]),
            reason="out_of_bounds",
            detail={
                "kind": "bounds",
                "value": problems[0].field,
                "problems": [str(p) for p in problems[:20]],
            },
        )


def needs_mapping(exc: PermanentError, document: P.DocumentInput) -> MappingError | None:
    """Visma refused a code or an article it does not have: that is set-up, not a broken order."""
    kind = NEEDS_MAPPING_CODES.get(exc.code) if isinstance(exc.code, int) else None
    if kind is None:
        return None
    value = ""
    if kind == "article":
        row = re.search(r"row (\d+)", f"{exc.message} {exc.detail}")
        if row and 0 < int(row.group(1)) <= len(document.rows):
            value = document.rows[int(row.group(1)) - 1].article_number or ""
    else:
        value = {
            "currency": document.currency,
            "terms-of-payment code": document.terms_of_payment,
            "way-of-delivery code": document.way_of_delivery,
            "price list": document.price_list,
        }.get(kind) or ""
    what = f"{kind} {value}" if value else kind
    return MappingError(
        f"Visma does not know the {what}: {exc}",
        reason="needs_mapping",
        detail={"kind": kind, "value": value},
    )
