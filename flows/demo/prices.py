"""A demo price matrix (``make run``): what Sharespine might charge per package, so the demo's usage
pages show a tier reached and a projected fee instead of "no price for this package".

Plausible, not Sharespine's price list: from 195 kr a month and a start fee from 2,200 kr, three
volume tiers per package, the larger packages dearer and with room for more. A consultant's own
matrix wins: a package that already has a price is left as it is, so running the seed again
changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from sharespine.customers.tiers import Tier
from sharespine.metering.models import PackagePrice

# package: (start fee, [(tier, orders up to, articles up to, payouts up to, monthly fee)]); None: no limit.
DEMO_MATRIX: dict[str, tuple[str, list[tuple[str, int | None, int | None, int | None, str]]]] = {
    Tier.T100: ("2200", [("S", 100, 1_000, None, "195"), ("M", 500, 5_000, None, "395"),
                         ("L", None, None, None, "695")]),
    Tier.T200: ("3200", [("S", 200, 2_000, None, "295"), ("M", 1_000, 10_000, None, "595"),
                         ("L", None, None, None, "995")]),
    Tier.T400: ("4900", [("S", 250, 5_000, 20, "495"), ("M", 1_500, 20_000, 60, "895"),
                         ("L", None, None, None, "1495")]),
    Tier.T800: ("7900", [("S", 500, 10_000, 40, "895"), ("M", 3_000, 50_000, 120, "1495"),
                         ("L", None, None, None, "2495")]),
}  # fmt: skip


@transaction.atomic
def seed_price_matrix() -> list[PackagePrice]:
    """Price each package that has no price yet; returns the prices created."""
    created = []
    for package, (start_fee, tiers) in DEMO_MATRIX.items():
        price, new = PackagePrice.objects.get_or_create(
            package=package, defaults={"start_fee": Decimal(start_fee)}
        )
        if not new:
            continue
        for name, orders, articles, payouts, fee in tiers:
            price.tiers.create(
                name=name,
                orders_up_to=orders,
                articles_up_to=articles,
                payouts_up_to=payouts,
                monthly_fee=Decimal(fee),
            )
        created.append(price)
    return created
