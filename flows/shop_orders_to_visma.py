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
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from connectors.errors import ConnectorError, PermanentError
from connectors.jetshop.records import Order
from connectors.visma import protocol as P
from flows import customers, engine, throttle
from flows.connections import Connections
from flows.engine import MappingError, Outcome, SourceRecord
from flows.models import (
    Channel,
    ExternalRef,
    Integration,
    JetshopShop,
    JourneyStep,
    MethodMapping,
    SyncItem,
    SyncRun,
)
from flows.modes import Flow
from flows.order_mapping import Lookups, Mapped, Routing, map_order
from flows.payloads import dump, load

log = logging.getLogger("flows.orders")
STOCKHOLM = ZoneInfo("Europe/Stockholm")
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


class ShopOrdersToVisma:
    flow = Flow.SHOP_ORDERS_TO_VISMA
    journey = True
    # Oldest first: when the agent comes back after a weekend, orders drain in the order placed.
    inline = True

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections
        self.dry_run = not integration.live

    # --- pull ---------------------------------------------------------------------------------------

    def shops(self):  # type: ignore[no-untyped-def]
        return self.integration.shops.prefetch_related(
            "order_triggers", Prefetch("channels", queryset=Channel.objects.order_by("pk"))
        ).order_by("pk")

    def pull(self, run: SyncRun) -> Iterator[SourceRecord]:
        self.resume_parked(run)
        version = "dry-run" if self.dry_run else "1"
        for shop in self.shops():
            triggers = [t.status_id for t in shop.order_triggers.all()]
            if not triggers:
                engine.run_log(run, f"{shop}: no trigger statuses configured; nothing to pull")
                continue
            since = timezone.now().astimezone(STOCKHOLM) - timedelta(days=shop.order_lookback_days)
            client = self.connections.jetshop(shop)
            try:
                with throttle.respect(throttle_key(shop)):
                    pulled = [(s, client.list_orders_by_status(s, since=since)) for s in triggers]
            except ConnectorError as exc:
                # One shop that does not answer must not hold back the others' orders; its own
                # orders come with the next poll (nothing was consumed from it).
                engine.run_error(run, f"{shop}: {exc}")
                continue
            for status_id, orders in pulled:
                engine.run_log(run, f"{shop}: {len(orders)} order(s) in status {status_id}")
                for order in orders:
                    yield SourceRecord(
                        source_id=f"{shop.pk}:{order.order_id}",
                        version=version,
                        payload=dump(order),
                        reference=shop.order_reference_prefix + order.order_number,
                        shop_id=shop.pk,
                    )

    def resume_parked(self, run: SyncRun) -> None:
        """Orders waiting for a mapping, an article or a VAT code go again once it exists."""
        parked = SyncItem.objects.filter(
            integration=self.integration,
            flow=self.flow,
            status=SyncItem.Status.PARKED,
            reason="needs_mapping",
        ).order_by("id")[:RESUME_BATCH]
        ready = []
        mappings = set(
            MethodMapping.objects.filter(integration=self.integration).values_list("kind", "shop_value")
        )
        for item in parked:
            kind, value = item.result.get("kind"), item.result.get("value")
            if kind in ("payment", "delivery"):
                fixed = (kind, value) in mappings
            elif kind == "article" and value:
                fixed = self._exists_in_visma(value)
            else:
                fixed = False  # channels, VAT codes, currencies: a consultant retries them
            if fixed:
                ready.append(item.pk)
        if ready:
            engine.requeue(ready)
            engine.run_log(run, f"{len(ready)} parked order(s) can go now and were queued again")

    def _exists_in_visma(self, article: str) -> bool:
        try:
            return self.connections.visma.get_article(article) is not None
        except ConnectorError:
            return False

    # --- process one order ----------------------------------------------------------------------

    def process(self, item: SyncItem) -> Outcome:
        # The shop came with the claimed item; its channels are the one query left.
        shop = item.shop or JetshopShop.objects.get(pk=item.shop_id)
        prefetch_related_objects([shop], "channels")
        order = self.current_order(item, shop)
        kind = self.integration.document_type
        steps: list[tuple[str, dict]] = []
        visma = self.connections.visma

        # 1. Already in Visma? A crash after the write, a re-created item, an order typed in by hand.
        existing = [d for d in visma.find_documents(item.reference) if d.kind == kind and not d.cancelled]
        if existing:
            document = existing[0]
            steps.append((JourneyStep.Step.IN_VISMA, {**self.summary(document), "found_by_reference": True}))
        else:
            # 2. Map: channel, customer (found, not yet created), rows and the totals check.
            channel = self.channel_of(order, shop)
            customer = customers.choose(
                self.integration, visma, order, source_id=item.source_id, shop_pk=shop.pk, channel=channel
            )
            mapped = map_order(
                order,
                kind=kind,
                reference=item.reference,
                customer_number=customer.number,
                lookups=self.lookups(),
                routing=routing_of(channel),
            )
            if self.dry_run:
                if customer.new is not None:
                    customer = dataclasses.replace(customer, how=customers.WOULD_CREATE)
                steps.append((JourneyStep.Step.MAPPED, self.mapped_step(mapped, customer, channel)))
                steps.append((JourneyStep.Step.WOULD_WRITE, {"document": mapped.document.to_dict()}))
                return Outcome(target_id="", result={"dry_run": True}, steps=steps)
            # Only an order that mapped creates its customer.
            customer = customers.settle(self.integration, visma, customer, source_id=item.source_id)
            document_input = dataclasses.replace(mapped.document, customer_number=customer.number)
            steps.append((JourneyStep.Step.MAPPED, self.mapped_step(mapped, customer, channel)))
            # 3. Push under the item's idempotency key.
            try:
                document = visma.create_document(document_input, engine.idempotency_key(item))
            except PermanentError as exc:
                mapping_error = needs_mapping(exc, document_input)
                if mapping_error is None:
                    raise
                raise mapping_error from exc
            steps.append((JourneyStep.Step.IN_VISMA, self.summary(document)))

        # 4. Move the shop order on, so the status pull stops returning it.
        if shop.transferred_status_id is not None:
            with throttle.respect(throttle_key(shop)):
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
            "warnings": list(customer.warnings),
        }

    def current_order(self, item: SyncItem, shop: JetshopShop) -> Order:
        """The stored order; on a retry, what the shop has now (a fixed article number, say)."""
        order = load(Order, item.payload)
        if item.attempts <= 1:
            return order
        fresh = self.connections.jetshop(shop).get_order(order.order_id)
        if fresh is not None and dump(fresh) != item.payload:
            item.payload = dump(fresh)
            item.save(update_fields=["payload", "updated_at"])
            return fresh
        return order

    def channel_of(self, order: Order, shop: JetshopShop) -> Channel | None:
        """The order's channel by the shop's rule; an order that fits none is parked."""
        channels = list(shop.channels.all())
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

    def lookups(self) -> Lookups:
        codes: dict[str, dict[str, str]] = {"payment": {}, "delivery": {}}
        for mapping in MethodMapping.objects.filter(integration=self.integration):
            codes[mapping.kind][mapping.shop_value] = mapping.visma_code
        return Lookups(
            vat_codes=self.connections.vat_codes(),
            payment_codes=codes["payment"],
            delivery_codes=codes["delivery"],
        )

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


def throttle_key(shop: JetshopShop) -> str:
    return f"jetshop-shop-{shop.pk}"


def routing_of(channel: Channel | None) -> Routing:
    if channel is None:
        return Routing()
    return Routing(
        channel=channel.name,
        order_text=channel.order_text,
        terms_of_payment=channel.terms_of_payment_code,
        way_of_delivery=channel.way_of_delivery_code,
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
