"""Warnings to the consultants when a merchant reaches 80 % and 100 % of a tier's limit.

They never stop anything: orders keep flowing past every limit; the warning says that the month
is about to be billed at a higher tier (or past the top one). Each threshold of each tier is
warned once per merchant and month (a unique row), shown in the admin and, when e-mail is
configured, mailed to the consultants once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from sharespine.customers.models import Customer
from sharespine.customers.roles import CONSULTANT
from sharespine.metering import usage
from sharespine.metering.models import Kind, UsageWarning

log = logging.getLogger("sharespine.metering")
THRESHOLDS = (80, 100)
NO_MAIL = "django.core.mail.backends.dummy.EmailBackend"


def crossed(bill: usage.Bill, tiers) -> list[UsageWarning]:
    """Every threshold the month's counts have reached, of the tier reached and the ones below it."""
    found = []
    for tier in tiers:
        for kind, limit in tier.limits().items():
            count = bill.used.get(kind, 0)
            for threshold in THRESHOLDS:
                if limit and count * 100 >= limit * threshold:
                    found.append(
                        UsageWarning(customer=bill.customer, month=bill.month, tier=tier.name,
                                     threshold=threshold, kind=kind, count=count, limit=limit)
                    )  # fmt: skip
        if tier == bill.tier:
            break
    # One row per tier and threshold: the first count that reached it speaks for it.
    return list({(w.tier, w.threshold): w for w in reversed(found)}.values())


def check(month: date | None = None, now: datetime | None = None) -> list[UsageWarning]:
    """Warn about the month's new thresholds (this month by default). Returns the new warnings."""
    now = now or timezone.now()
    month = month or usage.month_of(now)
    used = usage.counts_by_month(months=[month])
    customers = Customer.objects.in_bulk({customer_id for customer_id, _m in used})
    matrix = usage.Matrix()
    new: list[UsageWarning] = []
    for (customer_id, _month), counts in sorted(used.items()):
        customer = customers[customer_id]
        bill = usage.bill(customer, month, counts, matrix, now)
        for warning in crossed(bill, matrix.tiers(customer.tier)):
            stored, created = UsageWarning.objects.get_or_create(
                customer=customer, month=month, tier=warning.tier, threshold=warning.threshold,
                defaults={"kind": warning.kind, "count": warning.count, "limit": warning.limit},
            )  # fmt: skip
            if created:
                new.append(stored)
    mail_unsent(month)
    return new


def mail_configured() -> bool:
    return settings.EMAIL_BACKEND != NO_MAIL


def recipients() -> list[str]:
    users = get_user_model().objects.filter(groups__name=CONSULTANT, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def mail_unsent(month: date) -> int:
    """Mail the month's warnings not mailed yet, one message per merchant. Returns how many went."""
    to = recipients()
    if not (mail_configured() and to):
        return 0
    unsent = UsageWarning.objects.filter(month=month, mailed_at=None).select_related("customer")
    by_customer: dict[Customer, list[UsageWarning]] = {}
    for warning in unsent.order_by("customer_id", "threshold", "id"):
        by_customer.setdefault(warning.customer, []).append(warning)
    sent = 0
    for customer, warnings in by_customer.items():
        lines = [
            _("%(kind)s: %(count)s of %(limit)s in tier %(tier)s (%(threshold)s %%)")
            % {"kind": Kind(w.kind).label, "count": w.count, "limit": w.limit, "tier": w.tier,
               "threshold": w.threshold}
            for w in warnings
        ]  # fmt: skip
        subject = _("%(customer)s: usage reached %(threshold)s %% of a tier in %(month)s") % {
            "customer": customer.name,
            "threshold": max(w.threshold for w in warnings),
            "month": f"{month:%Y-%m}",
        }
        body = "\n".join(
            [*lines, "", _("Orders keep flowing; the month is billed at the tier its counts reach.")]
        )
        try:
            send_mail(subject, body, None, to)
        except Exception:  # the warning stays in the admin and is mailed at the next check
            log.exception("usage warning for %s could not be mailed", customer)
            continue
        UsageWarning.objects.filter(pk__in=[w.pk for w in warnings]).update(mailed_at=timezone.now())
        sent += 1
    return sent
