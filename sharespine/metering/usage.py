"""Counting usage and reading it back: the month's counts, the tier they reach and the fee.

``record`` is called by the work itself, inside its own transaction (an order completed, a batch of
articles written, a payout posted): the count commits or rolls back with the work, and the unique
keys make a retried or re-sent record a no-op.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from sharespine.customers.models import Customer
from sharespine.metering.models import Kind, PackagePrice, PriceTier, UsageEvent

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KINDS = tuple(Kind)
# Before a day of the month has passed, a projection says nothing yet: the counts stand as they are.
PROJECTION_MIN = timedelta(days=1)


def month_of(at: datetime) -> date:
    """The calendar month (its first day) ``at`` falls in, in Swedish time."""
    return at.astimezone(STOCKHOLM).date().replace(day=1)


def record(customer_id: int, kind: str, keys: Iterable[str], at: datetime | None = None) -> None:
    """Count each of ``keys`` once for the merchant and month: one INSERT … ON CONFLICT DO NOTHING.

    Call it inside the transaction of the work it counts.
    """
    at = at or timezone.now()
    month = month_of(at)
    rows = [
        UsageEvent(customer_id=customer_id, month=month, kind=kind, key=key[:200], at=at)
        for key in dict.fromkeys(keys)
    ]
    if rows:
        UsageEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def record_sql(customer_id: int, kind: str, keys: Iterable[str], at: datetime) -> tuple[str, list[Any]]:
    """``record`` as one PostgreSQL INSERT … ON CONFLICT DO NOTHING and its parameters, for a caller
    that writes its work and the count in one statement (the keys go as one JSON array: one
    parameter, however many keys)."""
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(UsageEvent._meta.db_table)} (customer_id, month, kind, key, at) "
        "SELECT %s, %s, %s, counted.key, %s FROM jsonb_array_elements_text(%s::jsonb) AS counted(key) "
        "ON CONFLICT DO NOTHING"
    )
    unique = [key[:200] for key in dict.fromkeys(keys)]
    return sql, [customer_id, month_of(at), kind, at, json.dumps(unique)]


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def counts_by_month(customer_ids: Iterable[int] | None = None, months: Iterable[date] | None = None):
    """{(customer id, month): {kind: count}} for the merchants and months asked for (all when None)."""
    events = UsageEvent.objects.all()
    if customer_ids is not None:
        events = events.filter(customer_id__in=list(customer_ids))
    if months is not None:
        events = events.filter(month__in=list(months))
    found: dict[tuple[int, date], dict[str, int]] = {}
    for customer_id, month, kind, n in (
        events.values_list("customer_id", "month", "kind").annotate(n=Count("id")).order_by()
    ):
        found.setdefault((customer_id, month), dict.fromkeys(KINDS, 0))[kind] = n
    return found


def counts(customer: Customer, month: date) -> dict[str, int]:
    return counts_by_month([customer.pk], [month]).get((customer.pk, month), dict.fromkeys(KINDS, 0))


class Matrix:
    """The whole price matrix, read once (two queries): tiers and start fee per package."""

    def __init__(self) -> None:
        self._tiers: dict[str, list[PriceTier]] = {}
        for tier in PriceTier.objects.select_related("package_price").order_by("monthly_fee", "pk"):
            self._tiers.setdefault(tier.package_price.package, []).append(tier)
        self._start_fees = dict(PackagePrice.objects.values_list("package", "start_fee"))

    def tiers(self, package: str) -> list[PriceTier]:
        return self._tiers.get(package, [])

    def start_fee(self, package: str) -> Decimal:
        return self._start_fees.get(package, Decimal("0.00"))


def within(tier: PriceTier, used: dict[str, int]) -> bool:
    return all(limit is None or used.get(kind, 0) <= limit for kind, limit in tier.limits().items())


def tier_reached(tiers: list[PriceTier], used: dict[str, int]) -> tuple[PriceTier | None, bool]:
    """The cheapest tier whose limits hold ``used``; past every tier, the top one and True."""
    for tier in tiers:
        if within(tier, used):
            return tier, False
    return (tiers[-1], True) if tiers else (None, False)


def projected_counts(used: dict[str, int], month: date, now: datetime) -> dict[str, int]:
    """The month's counts at its end, at today's pace. Articles are distinct per month and a
    catalogue is mostly written early, so their count stands as it is."""
    start = datetime(month.year, month.month, 1, tzinfo=STOCKHOLM)
    end = datetime(next_month(month).year, next_month(month).month, 1, tzinfo=STOCKHOLM)
    elapsed = now - start
    if now >= end or elapsed < PROJECTION_MIN:
        return dict(used)
    share = elapsed / (end - start)
    return {kind: n if kind == Kind.ARTICLE else math.ceil(n / share) for kind, n in used.items()}


@dataclass
class Bill:
    """One merchant's month: the counts, the tier they reach and the fees."""

    customer: Customer
    month: date
    used: dict[str, int]
    tier: PriceTier | None
    over_top: bool
    start_fee: Decimal
    projected: dict[str, int] = field(default_factory=dict)
    projected_tier: PriceTier | None = None

    @property
    def monthly_fee(self) -> Decimal | None:
        return self.tier.monthly_fee if self.tier else None

    @property
    def total(self) -> Decimal | None:
        return None if self.tier is None else self.tier.monthly_fee + self.start_fee

    @property
    def projected_fee(self) -> Decimal | None:
        tier = self.projected_tier or self.tier
        return None if tier is None else tier.monthly_fee + self.start_fee

    def share_of_limit(self) -> list[tuple[str, int, int, int]]:
        """(kind, count, limit, percent) for each limited count of the tier reached."""
        if self.tier is None:
            return []
        return [
            (kind, self.used.get(kind, 0), limit, self.used.get(kind, 0) * 100 // limit)
            for kind, limit in self.tier.limits().items()
            if limit
        ]


def bill(
    customer: Customer,
    month: date,
    used: dict[str, int] | None = None,
    matrix: Matrix | None = None,
    now: datetime | None = None,
) -> Bill:
    """The merchant's month: counts, tier reached and fees; for the running month, the projection."""
    now = now or timezone.now()
    used = used if used is not None else counts(customer, month)
    matrix = matrix or Matrix()
    tiers = matrix.tiers(customer.tier)
    tier, over = tier_reached(tiers, used)
    first_month = month_of(customer.created_at) == month
    result = Bill(
        customer=customer,
        month=month,
        used=used,
        tier=tier,
        over_top=over,
        start_fee=matrix.start_fee(customer.tier) if first_month else Decimal("0.00"),
    )
    if month == month_of(now):
        result.projected = projected_counts(used, month, now)
        result.projected_tier, _over = tier_reached(tiers, result.projected)
    return result


def bills(customers: Iterable[Customer], month: date, now: datetime | None = None) -> list[Bill]:
    """The month's bill of each merchant, in three queries whatever their number."""
    customers = list(customers)
    used = counts_by_month([c.pk for c in customers], [month])
    matrix = Matrix()
    return [bill(c, month, used.get((c.pk, month), dict.fromkeys(KINDS, 0)), matrix, now) for c in customers]


def history(customer: Customer, months: int, now: datetime | None = None) -> list[Bill]:
    """The merchant's last ``months`` months, this one first."""
    now = now or timezone.now()
    wanted = [month_of(now)]
    while len(wanted) < months:
        wanted.append(previous_month(wanted[-1]))
    used = counts_by_month([customer.pk], wanted)
    matrix = Matrix()
    return [
        bill(customer, m, used.get((customer.pk, m), dict.fromkeys(KINDS, 0)), matrix, now) for m in wanted
    ]
