"""The demo (``make run``): its seed commands give the demo merchant a price matrix, so the usage
page shows a tier and a projected fee, and running them again changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from flows.models import Integration
from sharespine.customers.management.commands.create_demo_logins import DEMO_CUSTOMER
from sharespine.customers.models import Customer
from sharespine.metering.models import PackagePrice, PriceTier

pytestmark = pytest.mark.django_db


def matrix() -> list[tuple]:
    return sorted(
        PriceTier.objects.values_list(
            "package_price__package",
            "package_price__start_fee",
            "name",
            "orders_up_to",
            "articles_up_to",
            "payouts_up_to",
            "monthly_fee",
        )
    )


def test_the_demo_merchant_has_a_price_and_its_usage_page_a_tier_and_a_projected_fee(client, consultant):
    call_command("create_demo_logins", "--force")
    call_command("seed_demo_merchant", "--force")
    seeded = matrix()
    call_command("create_demo_logins", "--force")
    call_command("seed_demo_merchant", "--force")

    assert matrix() == seeded, "a second run changes nothing"
    assert PackagePrice.objects.count() == 4
    assert min(fee for *_rest, fee in seeded) == Decimal("195.00")
    assert min(start for _p, start, *_rest in seeded) == Decimal("2200.00")
    for package in ("100", "200", "400", "800"):
        tiers = sorted((row for row in seeded if row[0] == package), key=lambda row: row[-1])
        assert [row[2] for row in tiers] == ["S", "M", "L"], package
        assert tiers[-1][3:6] == (None, None, None), "the top tier has no limit"

    customer = Customer.objects.get(org_number=DEMO_CUSTOMER["org_number"])
    assert Integration.objects.filter(customer=customer).count() == 1
    client.force_login(consultant)
    response = client.get(reverse("admin:metering_merchantusage_change", args=[customer.pk]))
    current = response.context["current"]
    start_fee = PackagePrice.objects.get(package=customer.tier).start_fee
    # A new merchant in its first month: the smallest tier, plus the start fee.
    assert current.tier.name == "S" and current.projected_fee == current.tier.monthly_fee + start_fee
    page = response.content.decode()
    assert "<strong>S</strong>" in page and f"<strong>{current.projected_fee}".replace(".", ",") in page


def test_a_consultants_own_price_survives_the_demo_seed(consultant):
    own = PackagePrice.objects.create(package="400", start_fee=Decimal("1000.00"))
    own.tiers.create(name="Allt", monthly_fee=Decimal("300.00"))
    call_command("create_demo_logins", "--force")
    call_command("seed_demo_merchant", "--force")

    assert [(t.name, t.monthly_fee) for t in PackagePrice.objects.get(package="400").tiers.all()] == [
        ("Allt", Decimal("300.00"))
    ]
    assert PackagePrice.objects.count() == 4
