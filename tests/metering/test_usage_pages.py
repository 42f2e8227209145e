"""The price matrix, the usage pages, the warnings, the invoicing export and the merchant's view.

Usage is recorded with the metering's own entry point (what the flows and the posting call inside
their transactions; that they do is tested with the flows, tests/flows/test_metering.py); everything
else is read through the admin and the dashboard as consultants, support and merchants use them.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone

from sharespine.customers.models import ConfigChange, Customer
from sharespine.metering import alerts, usage
from sharespine.metering.models import Kind, PackagePrice, UsageEvent, UsageWarning
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LONG_AGO = datetime(2025, 1, 15, 12, tzinfo=UTC)


@pytest.fixture
def matrix(db) -> PackagePrice:
    """Package 400: S up to 100 orders, M up to 1,000, L without limit; start fee 2,200 kr."""
    price = PackagePrice.objects.create(package="400", start_fee=Decimal("2200.00"))
    price.tiers.create(name="S", orders_up_to=100, articles_up_to=2000, monthly_fee=Decimal("195.00"))
    price.tiers.create(name="M", orders_up_to=1000, articles_up_to=20000, monthly_fee=Decimal("495.00"))
    price.tiers.create(name="L", monthly_fee=Decimal("995.00"))
    return price


def new_merchant(name: str = "Kaffebutiken AB", created: datetime = LONG_AGO) -> Customer:
    customer = CustomerFactory(name=name, tier="400")
    Customer.objects.filter(pk=customer.pk).update(created_at=created)
    customer.refresh_from_db()
    return customer


def orders(customer: Customer, count: int, at: datetime | None = None, start: int = 0) -> None:
    usage.record(customer.pk, Kind.ORDER, [f"1:{n}" for n in range(start, start + count)], at)


def this_month() -> date:
    return usage.month_of(timezone.now())


# --- counting ------------------------------------------------------------------------------------


def test_the_month_is_the_calendar_month_in_swedish_time():
    customer = new_merchant()
    # 23:30 UTC on 31 January is 00:30 on 1 February in Stockholm; 21:59 UTC on 30 June is 23:59 CEST.
    usage.record(customer.pk, Kind.ARTICLE, ["1001"], datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    usage.record(customer.pk, Kind.ARTICLE, ["1002"], datetime(2026, 1, 31, 22, 59, tzinfo=UTC))
    usage.record(customer.pk, Kind.ARTICLE, ["1001"], datetime(2026, 6, 30, 21, 59, tzinfo=UTC))
    usage.record(customer.pk, Kind.ARTICLE, ["1001"], datetime(2026, 6, 30, 22, 0, tzinfo=UTC))
    assert usage.counts(customer, date(2026, 1, 1))[Kind.ARTICLE] == 1
    assert usage.counts(customer, date(2026, 2, 1))[Kind.ARTICLE] == 1
    assert usage.counts(customer, date(2026, 6, 1))[Kind.ARTICLE] == 1
    assert usage.counts(customer, date(2026, 7, 1))[Kind.ARTICLE] == 1


def test_an_article_counts_once_a_month_and_an_order_or_payout_once_ever():
    customer, other = new_merchant(), new_merchant("Annan Butik AB")
    january, february = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    for at in (january, january, february):
        usage.record(customer.pk, Kind.ARTICLE, ["1001", "1001", "1002"], at)
        usage.record(customer.pk, Kind.ORDER, ["7:SE-1"], at)
        usage.record(customer.pk, Kind.PAYOUT, ["12"], at)
    usage.record(other.pk, Kind.ORDER, ["7:SE-1"], january)
    assert usage.counts(customer, date(2026, 1, 1)) == {Kind.ORDER: 1, Kind.ARTICLE: 2, Kind.PAYOUT: 1}
    assert usage.counts(customer, date(2026, 2, 1)) == {Kind.ORDER: 0, Kind.ARTICLE: 2, Kind.PAYOUT: 0}
    assert usage.counts(other, date(2026, 1, 1))[Kind.ORDER] == 1


# --- tiers and fees ------------------------------------------------------------------------------


def test_the_tier_reached_is_the_cheapest_whose_limits_all_hold(matrix):
    customer = new_merchant()
    may = date(2026, 5, 1)
    at = datetime(2026, 5, 3, tzinfo=UTC)
    orders(customer, 100, at)
    assert usage.bill(customer, may).tier.name == "S"
    usage.record(customer.pk, Kind.ARTICLE, [str(n) for n in range(2001)], at)  # one article past S
    assert usage.bill(customer, may).tier.name == "M"
    orders(customer, 1001, at, start=100)
    done = usage.bill(customer, may)
    assert (done.tier.name, done.over_top, done.monthly_fee, done.start_fee) == (
        "L",
        False,
        Decimal("995.00"),
        0,
    )


def test_the_projected_fee_follows_the_month_so_far_and_the_first_month_adds_the_start_fee(matrix):
    customer = new_merchant(created=datetime(2026, 4, 20, tzinfo=UTC))
    april = date(2026, 4, 1)
    orders(customer, 60, datetime(2026, 4, 25, tzinfo=UTC))
    # Halfway through April (30 days): 60 orders so far is 120 at the month's end, tier M.
    halfway = datetime(2026, 4, 15, 22, 0, tzinfo=UTC)  # 16 April 00:00 in Stockholm
    bill = usage.bill(customer, april, now=halfway)
    assert (bill.tier.name, bill.projected[Kind.ORDER], bill.projected_tier.name) == ("S", 120, "M")
    assert bill.projected_fee == Decimal("495.00") + Decimal("2200.00")
    # The month over: what it reached is what is billed.
    closed = usage.bill(customer, april, now=datetime(2026, 5, 2, tzinfo=UTC))
    assert (closed.projected, closed.total) == ({}, Decimal("195.00") + Decimal("2200.00"))
    assert usage.bill(customer, date(2026, 5, 1), now=datetime(2026, 5, 2, tzinfo=UTC)).start_fee == 0


# --- the admin -----------------------------------------------------------------------------------


def tier_rows(*rows) -> dict:
    data = {"tiers-TOTAL_FORMS": str(len(rows)), "tiers-INITIAL_FORMS": "0", "tiers-MIN_NUM_FORMS": "0",
            "tiers-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for i, (name, up_to, fee) in enumerate(rows):
        row = {
            "name": name,
            "orders_up_to": up_to,
            "articles_up_to": "",
            "payouts_up_to": "",
            "monthly_fee": fee,
        }
        data.update({f"tiers-{i}-{field}": value for field, value in row.items()})
    return data


def test_the_consultant_edits_the_price_matrix_and_every_change_is_logged(client, consultant, support):
    url = reverse("admin:metering_packageprice_add")
    client.force_login(support)
    assert client.get(url).status_code == 403
    client.force_login(consultant)
    response = client.post(
        url,
        {"package": "200", "start_fee": "2200.00", **tier_rows(("Bas", "50", "195"), ("Plus", "", "395.50"))},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    price = PackagePrice.objects.get(package="200")
    assert [(t.name, t.orders_up_to, t.monthly_fee) for t in price.tiers.all()] == [
        ("Bas", 50, Decimal("195.00")),
        ("Plus", None, Decimal("395.50")),
    ]
    logged = ConfigChange.objects.filter(user=consultant)
    # One entry per save, naming the fields it changed.
    assert {(c.model, f) for c in logged for f in c.field.split(", ")} >= {
        ("metering.PackagePrice", "start_fee"),
        ("metering.PriceTier", "monthly_fee"),
    }
    # A fee is money: a bad one is refused with the field named, nothing saved.
    response = client.post(
        reverse("admin:metering_packageprice_change", args=[price.pk]),
        {"package": "200", "start_fee": "-1", **tier_rows()},
    )
    assert response.status_code == 200 and "start_fee" in response.context["adminform"].form.errors
    price.refresh_from_db()
    assert price.start_fee == Decimal("2200.00")


def test_the_usage_page_shows_this_month_the_months_before_the_tier_and_the_projected_fee(
    client, support, matrix
):
    customer = new_merchant()
    previous = usage.previous_month(this_month())
    orders(customer, 40, datetime(previous.year, previous.month, 5, 12, tzinfo=UTC), start=1000)
    orders(customer, 150)  # this month: past S
    usage.record(customer.pk, Kind.PAYOUT, ["9"])
    client.force_login(support)

    response = client.get(reverse("admin:metering_merchantusage_change", args=[customer.pk]))
    assert response.status_code == 200
    current, before = response.context["bills"][:2]
    assert (current.month, current.used[Kind.ORDER], current.used[Kind.PAYOUT], current.tier.name) == (
        this_month(), 150, 1, "M",
    )  # fmt: skip
    # At this month's pace (exactly: test_the_projected_fee_follows_...), billed by the matrix.
    assert current.projected[Kind.ORDER] >= 150
    fees = {t.name: t.monthly_fee for t in matrix.tiers.all()}
    assert current.projected_fee == fees[current.projected_tier.name]
    assert (before.month, before.used[Kind.ORDER], before.tier.name, before.monthly_fee) == (
        previous, 40, "S", Decimal("195.00"),
    )  # fmt: skip
    page = response.content.decode()
    assert (
        "Kaffebutiken AB" in page
        and str(current.projected_fee).replace(".", ",") in page
        and previous.strftime("%Y-%m") in page
    )

    listing = client.get(reverse("admin:metering_merchantusage_changelist"))
    row = next(r for r in listing.context["cl"].result_list if r.pk == customer.pk)
    assert (row.bill.used[Kind.ORDER], row.bill.tier.name) == (150, "M")
    # Support reads; the page changes nothing and offers no export.
    assert not listing.context["can_export"]
    assert client.post(reverse("admin:metering_merchantusage_change", args=[customer.pk])).status_code == 403


# --- warnings ------------------------------------------------------------------------------------


def test_warnings_at_80_and_100_percent_of_a_tier_come_once_each_by_mail_and_in_the_admin(
    client, consultant, support, matrix
):
    consultant.email = "konsult@example.se"
    consultant.save()
    support.email = "support@example.se"
    support.save()
    customer = new_merchant()

    orders(customer, 79)
    assert alerts.check() == [] and mail.outbox == []

    orders(customer, 1, start=79)  # 80 of S's 100
    [warning] = alerts.check()
    assert (warning.tier, warning.threshold, warning.kind, warning.count, warning.limit) == (
        "S",
        80,
        "order",
        80,
        100,
    )
    [message] = mail.outbox
    assert message.to == ["konsult@example.se"]
    assert "Kaffebutiken AB" in message.subject and "80 %" in message.subject
    assert "80" in message.body and "100" in message.body

    orders(customer, 10, start=80)
    assert alerts.check() == [] and len(mail.outbox) == 1, "80 % is warned once a month"

    orders(customer, 10, start=90)  # 100 of 100: the next order moves the month to M
    assert [(w.tier, w.threshold) for w in alerts.check()] == [("S", 100)]
    assert len(mail.outbox) == 2 and "100 %" in mail.outbox[1].subject
    orders(customer, 5, start=100)  # past S, into M: nothing new until 80 % of M
    assert alerts.check() == [] and len(mail.outbox) == 2
    assert set(UsageWarning.objects.values_list("mailed_at", flat=True)) != {None}

    client.force_login(consultant)
    response = client.get(reverse("admin:metering_merchantusage_change", args=[customer.pk]))
    shown = [(w.threshold, w.tier, bool(w.mailed_at)) for w in response.context["warnings"]]
    assert shown == [(80, "S", True), (100, "S", True)]
    assert response.content.decode().count("100/100") == 1


def test_a_jump_past_a_tier_still_warns_it_and_without_mail_the_warning_waits_in_the_admin(
    client, consultant, matrix, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # no EMAIL_HOST
    consultant.email = "konsult@example.se"
    consultant.save()
    customer = new_merchant()
    orders(customer, 850)  # between two checks: past S entirely, and 85 % of M
    assert sorted((w.tier, w.threshold) for w in alerts.check()) == [("M", 80), ("S", 80), ("S", 100)]
    assert mail.outbox == [] and not UsageWarning.objects.exclude(mailed_at=None).exists()

    client.force_login(consultant)
    listing = client.get(reverse("admin:metering_merchantusage_changelist")).content.decode()
    assert "85 %" in listing
    warnings = client.get(reverse("admin:metering_usagewarning_changelist"))
    assert warnings.status_code == 200 and len(warnings.context["cl"].result_list) == 3


# --- the export ----------------------------------------------------------------------------------


def test_the_monthly_export_lists_every_merchant_for_invoicing_for_consultants_only(
    client, consultant, support, merchant, matrix
):
    march = datetime(2026, 3, 12, tzinfo=UTC)
    big = new_merchant("Stora Butiken AB")
    orders(big, 120, march)
    usage.record(big.pk, Kind.ARTICLE, ["1001", "1002"], march)
    new = new_merchant("Nya Butiken AB", created=datetime(2026, 3, 2, tzinfo=UTC))
    orders(new, 3, march, start=500)
    quiet = new_merchant("Tyst Butik AB")
    url = reverse("admin:metering_merchantusage_export") + "?month=2026-03"

    for refused in (support, merchant):
        client.force_login(refused)
        assert client.get(url).status_code == 403
    client.force_login(consultant)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="usage-2026-03.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_name = {r[1]: r for r in rows[1:]}
    assert len(rows[0]) == len(rows[1]) == 12
    assert by_name["Stora Butiken AB"][:2] + by_name["Stora Butiken AB"][4:11] == [
        "2026-03", "Stora Butiken AB", "120", "2", "0", "M", "495.00", "0.00", "495.00",
    ]  # fmt: skip
    assert by_name["Nya Butiken AB"][4:11] == ["3", "0", "0", "S", "195.00", "2200.00", "2395.00"]
    assert by_name[quiet.name][4:8] == ["0", "0", "0", "S"]
    assert big.org_number in {r[2] for r in rows}
    # A month that does not read is last month, not an error page.
    assert client.get(reverse("admin:metering_merchantusage_export") + "?month=2026-13").status_code == 200


# --- the merchant --------------------------------------------------------------------------------


def test_the_merchant_sees_their_own_usage_on_the_dashboard_and_nobody_elses(client, merchant, matrix):
    own = merchant.memberships.get().customer
    own.tier = "400"
    own.save()
    orders(own, 7)
    other = CustomerFactory(name="Annan Butik AB", tier="400")
    orders(other, 99, start=1000)
    client.force_login(merchant)

    response = client.get(reverse("dashboard:customer", args=[own.pk]))
    assert response.status_code == 200
    [current, *_] = response.context["usage"]
    assert current.used[Kind.ORDER] == 7 and current.tier.name == "S"
    assert 'id="usage"' in response.content.decode() and "99" not in response.content.decode()
    assert client.get(reverse("dashboard:customer", args=[other.pk])).status_code == 404
    assert client.get(reverse("admin:metering_merchantusage_changelist")).status_code == 403
    assert UsageEvent.objects.filter(customer=other).count() == 99


def test_the_export_from_the_usage_list_gives_the_month_the_list_shows(client, consultant, matrix):
    # The list showed this month while its export form offered (and the export defaulted to) the
    # month before: the CSV did not hold the numbers on the screen.
    customer = new_merchant()
    previous = usage.previous_month(this_month())
    orders(customer, 40, datetime(previous.year, previous.month, 5, 12, tzinfo=UTC), start=1000)
    orders(customer, 150)
    client.force_login(consultant)

    listing = client.get(reverse("admin:metering_merchantusage_changelist"))
    row = next(r for r in listing.context["cl"].result_list if r.pk == customer.pk)
    page = listing.content.decode()
    offered = re.search(r'<input id="usage-month" type="month" name="month" value="([^"]*)"', page)[1]
    assert offered == f"{this_month():%Y-%m}"
    month_name = formats.date_format(this_month(), "F Y")
    assert month_name in page.split('id="changelist"')[0]  # the page says which month it shows

    for url in (
        reverse("admin:metering_merchantusage_export"),
        reverse("admin:metering_merchantusage_export") + f"?month={offered}",
    ):
        response = client.get(url)
        assert f'filename="usage-{offered}.csv"' in response["Content-Disposition"]
        exported = {r[1]: r for r in csv.reader(io.StringIO(response.content.decode()))}
        assert exported[customer.name][0] == offered
        assert int(exported[customer.name][4]) == row.bill.used[Kind.ORDER] == 150
