"""The monthly usage of every merchant as CSV, for invoicing."""

from __future__ import annotations

import csv
from datetime import date
from typing import IO

from django.db.models import Q
from django.utils.translation import gettext as _

from sharespine.customers.models import Customer
from sharespine.metering import usage
from sharespine.metering.models import Kind


def merchants_of(month: date):
    """Active merchants, and inactive ones that still used something that month."""
    return Customer.objects.filter(Q(active=True) | Q(usage_events__month=month)).distinct().order_by("name")


def write_csv(month: date, out: IO[str]) -> int:
    """One row per merchant; amounts in SEK with a decimal point. Returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(
        [_("Month"), _("Merchant"), _("Organisation number"), _("Package"),
         *(Kind(k).label for k in usage.KINDS), _("Tier"), _("Monthly fee (SEK)"), _("Start fee (SEK)"),
         _("Total (SEK)"), _("Past the top tier")]
    )  # fmt: skip
    rows = usage.bills(merchants_of(month), month)
    for bill in rows:
        writer.writerow(
            [f"{month:%Y-%m}", bill.customer.name, bill.customer.org_number, bill.customer.tier,
             *(bill.used[k] for k in usage.KINDS), bill.tier.name if bill.tier else "",
             bill.monthly_fee if bill.tier else "", bill.start_fee, bill.total if bill.tier else "",
             _("yes") if bill.over_top else ""]
        )  # fmt: skip
    return len(rows)
