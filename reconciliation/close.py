"""The daily three-way close: shop orders captured ↔ Visma invoices ↔ PSP SALE lines.

Per day and channel (the PSP, or the payment method when no PSP line says which), with the
differences listed:

* captured, but in no payout after ``bank_days`` days;
* in a payout, but not invoiced in Visma;
* invoiced (an order our orders flow brought in), but never captured and in no payout.

Captures are the journey's confirmed ones (``JourneyStep`` "payment captured", with the shop's
total and payment method). A capture the status flow only asked of the shop ("capture requested")
is not money drawn and counts for nothing here: an order invoiced with only a request and no payout
line is listed as never captured, which is what the merchant should look at.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from flows.models import Integration, JetshopShop, JourneyStep, SyncItem
from flows.modes import Flow

from .models import AccountPlan, PayoutLine
from .parsing.records import Kind


class Difference:
    NOT_PAID_OUT = "captured_not_paid_out"
    NOT_INVOICED = "paid_out_not_invoiced"
    NOT_CAPTURED = "invoiced_not_captured"


@dataclass
class CloseRow:
    day: dt.date
    channel: str
    order: str
    captured: Decimal | None
    invoice: int | None
    paid_out: Decimal | None
    payout: str
    difference: str


def _strip(reference: str, prefixes: list[str]) -> str:
    for prefix in prefixes:
        if prefix and reference.startswith(prefix):
            return reference[len(prefix) :]
    return reference


def daily_close(integration: Integration, day: dt.date, today: dt.date | None = None) -> list[CloseRow]:
    today = today or timezone.localdate()
    lag = AccountPlan.for_integration(integration).bank_days
    shops = JetshopShop.objects.filter(integration=integration)
    prefixes = sorted(
        {p for p in shops.values_list("order_reference_prefix", flat=True) if p}, key=len, reverse=True
    )
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    captured: dict[str, tuple[Decimal | None, str]] = {}
    for ref, detail in JourneyStep.objects.filter(
        integration=integration,
        step=JourneyStep.Step.CAPTURED,
        at__gte=start,
        at__lt=start + dt.timedelta(days=1),
    ).values_list("order_ref", "detail"):
        amount = detail.get("amount") if isinstance(detail, dict) else None
        method = detail.get("payment_method", "") if isinstance(detail, dict) else ""
        captured[_strip(ref, prefixes)] = (Decimal(amount) if amount else None, method or "")

    sales = PayoutLine.objects.filter(payout__integration=integration, kind=Kind.SALE).exclude(
        match=PayoutLine.Match.DROPPED
    )
    day_lines = list(sales.filter(date=day).select_related("payout"))
    orders_today = set(captured) | {line.order_ref for line in day_lines}
    # Every SALE line of these orders, whatever its date: a capture may be paid out days later.
    paid_out: dict[str, list[PayoutLine]] = {}
    for line in sales.filter(order_ref__in=orders_today).select_related("payout"):
        paid_out.setdefault(line.order_ref, []).append(line)

    rows: list[CloseRow] = []
    for order, (amount, method) in sorted(captured.items()):
        if order not in paid_out and day <= today - dt.timedelta(days=lag):
            rows.append(CloseRow(day, method or "?", order, amount, None, None, "", Difference.NOT_PAID_OUT))
    for line in day_lines:
        if line.match == PayoutLine.Match.WAITING and line.reason == "no_invoice":
            amount = captured.get(line.order_ref, (None, ""))[0]
            rows.append(
                CloseRow(day, line.payout.provider, line.order_ref, amount, None, line.amount,
                         line.payout.reference, Difference.NOT_INVOICED)
            )  # fmt: skip
    # Orders our orders flow put into Visma that day, with no capture and no payout line at all.
    made = SyncItem.objects.filter(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status=SyncItem.Status.DONE,
        created_at__gte=start, created_at__lt=start + dt.timedelta(days=1),
    ).values_list("reference", "target_id")  # fmt: skip
    for reference, target in made:
        order = _strip(reference, prefixes)
        if order in captured or sales.filter(order_ref=order).exists():
            continue
        if day <= today - dt.timedelta(days=lag):
            number = int(target) if target.isdigit() else None
            rows.append(CloseRow(day, "?", order, None, number, None, "", Difference.NOT_CAPTURED))
    return rows


def summary(integration: Integration, day: dt.date, today: dt.date | None = None) -> dict:
    rows = daily_close(integration, day, today)
    counts = {d: 0 for d in (Difference.NOT_PAID_OUT, Difference.NOT_INVOICED, Difference.NOT_CAPTURED)}
    for row in rows:
        counts[row.difference] += 1
    return {"day": day, "rows": rows, "counts": counts}


def to_csv(rows: list[CloseRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["day", "channel", "order", "captured", "invoice", "paid_out", "payout", "difference"])
    for r in rows:
        captured = "" if r.captured is None else r.captured
        paid_out = "" if r.paid_out is None else r.paid_out
        writer.writerow(
            [
                r.day.isoformat(),
                r.channel,
                r.order,
                captured,
                r.invoice or "",
                paid_out,
                r.payout,
                r.difference,
            ]
        )
    return out.getvalue()
