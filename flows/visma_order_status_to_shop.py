"""Order status from Visma back to the shop: status, customer e-mail, tracking number, capture.

* Source of truth: Visma. Trigger: beat, every ``poll_order_status`` seconds.
* Pull: the agent's document-event feed (delivered, invoiced, paid, cancelled) after the stored
  cursor, a page at a time. Each page's events are stored as items in the transaction that moves
  the cursor past them (after the page was fetched), so an event is never lost between the feed
  and the database.
* Map: the integration's status rule for the event kind; the shop order is the one we transferred
  with the event's reference. Events for documents the shop never sent are skipped.
* Push, once per (order, event kind), also after a crash or a repeated delivery: the effect is
  recorded in ``ExternalRef`` (kind status_event, unique), and before writing, the shop order is
  read: when it already has the rule's status (the call went through before a crash), nothing is
  sent again, so the customer gets one e-mail and the payment one capture.
* Items run one after another inside the run, in feed order: "paid" must not overtake
  "delivered" on its way to the same shop order.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from connectors.errors import PermanentError, TransientError
from connectors.visma import protocol as P
from flows import engine
from flows.engine import Outcome, Skipped, SourceRecord, throttle
from flows.engine.base import ItemFlow, Page
from flows.engine.connections import Connections
from flows.models import ExternalRef, Integration, JetshopShop, JourneyStep, StatusRule, SyncItem, SyncRun
from flows.modes import Flow
from flows.shop_orders_to_visma import throttle_key, throttle_key_of

PAGE = 500
EVENT_STEPS: dict[str, str] = {
    StatusRule.Event.DELIVERED: JourneyStep.Step.DELIVERED,
    StatusRule.Event.INVOICED: JourneyStep.Step.INVOICED,
    StatusRule.Event.PAID: JourneyStep.Step.PAID,
    StatusRule.Event.CANCELLED: JourneyStep.Step.CANCELLED,
}


# Payment methods that hold no reservation for a capturing status to draw: paid at purchase (Swish,
# prepayment, gift card) or billed by the merchant (own invoice, cash on delivery). Their orders get
# no "capture requested" step, which would claim money is being drawn where nothing is.
NOTHING_TO_CAPTURE = frozenset(
    {"swish", "invoice", "faktura", "prepayment", "forskott", "förskott", "postforskott", "postförskott",
     "cashondelivery", "banktransfer", "giftcard", "presentkort"}
)  # fmt: skip


def reserves_payment(method: str) -> bool:
    """Whether a capturing status can draw money for an order paid with ``method`` (compared
    without case, spaces or dashes: "Cash on delivery", "cash-on-delivery")."""
    return "".join(ch for ch in method.lower() if ch.isalnum()) not in NOTHING_TO_CAPTURE


class VismaOrderStatusToShop(ItemFlow):
    flow = Flow.VISMA_ORDER_STATUS_TO_SHOP
    in_order = True

    def __init__(self, integration: Integration, connections: Connections) -> None:
        super().__init__(integration, connections)
        # The shops' call waits (429s), read together for the events being processed (``prepare``).
        self._throttles = throttle.Checked()

    @functools.cached_property
    def _shop_keys(self) -> list[str]:
        return [throttle_key_of(pk) for pk in self.integration.shops.values_list("pk", flat=True)]

    def prepare(self, items: list[SyncItem]) -> None:
        """The call waits of the integration's shops, in one cache read instead of one per event."""
        self._throttles = throttle.Checked(self._shop_keys)

    def pull(self, run: SyncRun) -> Iterator[Page]:
        """The event feed page by page; each page's events are stored with the cursor after them."""
        cursor = run.cursor_before = engine.read_cursor(self.integration, self.flow) or "0"
        visma = self.connections.visma
        while True:
            page = visma.document_events(after=cursor, limit=PAGE)
            records = [
                SourceRecord(
                    source_id=event.id, version="1", payload=event.to_dict(), reference=event.reference
                )
                for event in page.items
            ]
            moved = page.next_cursor if page.items and page.next_cursor else cursor
            yield Page(records=records, cursor=moved if moved != cursor else None)
            if not page.items or moved == cursor:
                return
            cursor = moved

    def process(self, item: SyncItem) -> Outcome | Skipped:
        event = P.DocumentEvent.from_dict(item.payload)
        rule = StatusRule.objects.filter(integration=self.integration, event=event.event).first()
        if rule is None:
            return Skipped("no_rule", f"no status rule for {event.event}")
        order_item = self.transferred_order(event)
        if order_item is None:
            return Skipped(
                "not_a_shop_order", f"{event.kind} {event.number} was not transferred from the shop"
            )
        effect_key = f"{order_item.source_id}:{event.event}"
        if ExternalRef.objects.filter(
            integration=self.integration, kind=ExternalRef.Kind.STATUS_EVENT, shop_id=effect_key
        ).exists():
            return Skipped("already_applied", f"{event.event} was already applied to this order")

        if order_item.shop_id is None:  # as the look-up of pk=None would
            raise JetshopShop.DoesNotExist("the order's item names no shop")
        shop = JetshopShop.objects.get(pk=order_item.shop_id)
        order_id = int(order_item.source_id.split(":", 1)[1])
        tracking = event.tracking_number if rule.include_tracking else ""
        step_detail = {"event": event.id, "document": f"{event.kind} {event.number}", "tracking": tracking}
        steps: list[tuple[str, dict]] = [(EVENT_STEPS[event.event], step_detail)]
        change = {"status_id": rule.shop_status_id, "send_mail": rule.send_email, "tracking_number": tracking}
        if self.dry_run:
            steps.append((JourneyStep.Step.WOULD_WRITE, {"shop_order": order_id, **change}))
            return Outcome(target_id="", result={"dry_run": True}, steps=steps)

        jetshop = self.connections.jetshop(shop)
        with self._throttles.respect(throttle_key(shop)):
            current = jetshop.get_order(order_id)
            if current is None:
                raise PermanentError(f"order {order_id} is no longer in {shop}", system="jetshop")
            already = current.status_id == rule.shop_status_id
            if not already:
                result = jetshop.set_order_status(
                    order_id, rule.shop_status_id, send_mail=rule.send_email, tracking_number=tracking or None
                )
                if not result.success:
                    raise PermanentError(f"{shop} refused status {rule.shop_status_id}: {result.message}")
        steps.append((JourneyStep.Step.SHOP_STATUS, {**change, "already_set": already}))
        if rule.send_email and not already:
            steps.append((JourneyStep.Step.EMAIL, {"to": current.email, "status_id": rule.shop_status_id}))
        if rule.capture_payment and not already and reserves_payment(current.payment_method):
            steps.append(
                (JourneyStep.Step.CAPTURE_REQUESTED, {"payment_method": current.payment_method,
                                             "amount": str(current.total_inc_vat),
                                             "status_id": rule.shop_status_id})
            )  # fmt: skip
        return Outcome(
            target_id=str(rule.shop_status_id),
            ref_kind=ExternalRef.Kind.STATUS_EVENT,
            ref_shop_id=effect_key,
            ref_erp_id=event.id,
            result={"shop_order": order_id, **change, "already_set": already},
            steps=steps,
        )

    def transferred_order(self, event: P.DocumentEvent) -> SyncItem | None:
        """The order item that created this document (matched on the reference we wrote)."""
        if not event.reference:
            return None
        items = SyncItem.objects.filter(
            integration=self.integration, flow=Flow.SHOP_ORDERS_TO_VISMA, reference=event.reference
        ).exclude(source_version="dry-run")
        done = items.filter(status=SyncItem.Status.DONE).order_by("-id").first()
        if (
            done is None
            and items.filter(status__in=[SyncItem.Status.QUEUED, SyncItem.Status.PROCESSING]).exists()
        ):
            # The order's own item is still finishing: wait for it rather than lose the event.
            raise TransientError(f"order {event.reference} is still being transferred")
        return done
