"""Orders in a trigger status placed before the shop's look-back window.

The orders flow pulls only orders placed within ``order_lookback_days``; an order that waited
longer in the trigger status would be left in the shop without a word. The flow therefore looks
for such orders now and then (``CHECK_EVERY``) and the go-live check does on every run; what they
find is kept in ``OlderOrders`` and shown on the integration page and the dashboard. A consultant
may ask for them once, since a date: the next orders run reads the trigger statuses from that date
(the orders then go through the flow as any other, each once) and marks the request done.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from connectors.jetshop.records import Order
from flows.models import JetshopShop, OlderOrders

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CHECK_EVERY = timedelta(hours=1)
LISTED = 50  # order numbers kept for the page; the count is of all of them


def lookback_start(shop: JetshopShop, now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(STOCKHOLM) - timedelta(days=shop.order_lookback_days)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=STOCKHOLM)


def check_due(found: OlderOrders | None) -> bool:
    return found is None or found.checked_at is None or timezone.now() - found.checked_at >= CHECK_EVERY


def record(shop: JetshopShop, orders: Iterable[Order]) -> OlderOrders:
    """Keep what a look before the window found (replacing the last look)."""
    rows = sorted(
        (
            {
                "id": o.order_id,
                "number": o.order_number,
                "placed": o.order_date.isoformat() if o.order_date else "",
            }
            for o in {o.order_id: o for o in orders}.values()
        ),
        key=lambda r: str(r["placed"]),
    )
    found, _ = OlderOrders.objects.update_or_create(
        shop=shop, defaults={"checked_at": timezone.now(), "orders": rows}
    )
    return found


def mark_fetched(found: OlderOrders, fetched: int) -> bool:
    """The widened pull went through: the request is done (once; False if it already was)."""
    since = day_start(found.fetch_since) if found.fetch_since else None
    left = [r for r in found.orders if since and r["placed"] and datetime.fromisoformat(r["placed"]) < since]
    return bool(
        OlderOrders.objects.filter(pk=found.pk, fetched_at=None).update(
            fetched_at=timezone.now(), fetched_count=fetched, orders=left
        )
    )


def request_fetch(shop: JetshopShop, since: date, user) -> OlderOrders:
    found, _ = OlderOrders.objects.get_or_create(shop=shop)
    found.fetch_since, found.fetch_requested_at, found.fetch_requested_by = since, timezone.now(), user
    found.fetched_at = found.fetched_count = None
    found.save()
    return found
