"""Usage events (one row per billable thing, per merchant and month) and the price matrix.

A usage event is counted exactly once by the database: the key of the thing (an order, an
article, a payout) is unique per merchant, month and kind, and every write is an
INSERT … ON CONFLICT DO NOTHING made in the transaction of the work itself (``usage.record``).
Orders and payouts are billed once ever, so they are also unique per merchant and kind without the
month; an article is billed in each month it is written.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sharespine.customers.models import Customer
from sharespine.customers.tiers import Tier


class Kind(models.TextChoices):
    ORDER = "order", _("orders transferred to Visma")
    ARTICLE = "article", _("articles kept in sync")
    PAYOUT = "payout", _("payouts reconciled")


# Billed once ever (a record re-sent next month is not billed again).
ONCE_EVER = (Kind.ORDER, Kind.PAYOUT)


class UsageEvent(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="usage_events", verbose_name=_("merchant")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month, Swedish time."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=200)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        constraints = [
            # Also the index the monthly counts read.
            models.UniqueConstraint(fields=["customer", "month", "kind", "key"], name="usage_once_a_month"),
            models.UniqueConstraint(
                fields=["customer", "kind", "key"],
                condition=Q(kind__in=list(ONCE_EVER)),
                name="usage_once_ever",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m} {self.kind} {self.key}"


class PackagePrice(models.Model):
    """The price of one package: its start fee and its volume tiers."""

    package = models.CharField(_("package"), max_length=3, choices=Tier.choices, unique=True)
    start_fee = models.DecimalField(
        _("start fee (SEK)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Billed once, in the month the merchant was created."),
    )

    class Meta:
        verbose_name = _("package price")
        verbose_name_plural = _("price matrix")
        ordering = ["package"]

    def __str__(self) -> str:
        return str(Tier(self.package).label)


def _limit(label):
    return models.PositiveIntegerField(
        label, null=True, blank=True, help_text=_("Per month; empty means no limit.")
    )


class PriceTier(models.Model):
    """A volume tier: the monthly fee while every count of the month stays within its limits."""

    package_price = models.ForeignKey(
        PackagePrice, on_delete=models.CASCADE, related_name="tiers", verbose_name=_("package")
    )
    name = models.CharField(_("name"), max_length=50)
    orders_up_to = _limit(_("orders up to"))
    articles_up_to = _limit(_("articles up to"))
    payouts_up_to = _limit(_("payouts up to"))
    monthly_fee = models.DecimalField(
        _("monthly fee (SEK)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("volume tier")
        verbose_name_plural = _("volume tiers")
        ordering = ["package_price", "monthly_fee", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["package_price", "name"], name="price_tier_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def limits(self) -> dict[str, int | None]:
        return {
            Kind.ORDER: self.orders_up_to,
            Kind.ARTICLE: self.articles_up_to,
            Kind.PAYOUT: self.payouts_up_to,
        }


class MerchantUsage(Customer):
    """The usage pages in the admin: a merchant seen by what it ran through the integration."""

    class Meta:
        proxy = True
        # One row per merchant: "1 merchant's usage", "3 merchants' usage" in the list's count.
        verbose_name = _("merchant's usage")
        verbose_name_plural = _("merchants' usage")
        permissions = [("export_usage", "Can export the monthly usage of all merchants for invoicing")]


class UsageWarning(models.Model):
    """A merchant reached 80 % or 100 % of a tier's limit in a month: shown, and mailed once."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="usage_warnings", verbose_name=_("merchant")
    )
    month = models.DateField(_("month"))
    tier = models.CharField(_("tier"), max_length=50)
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    count = models.PositiveIntegerField(_("count"))
    limit = models.PositiveIntegerField(_("limit"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("usage warning")
        verbose_name_plural = _("usage warnings")
        ordering = ["-month", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "month", "tier", "threshold"], name="usage_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.month:%Y-%m} {self.tier} {self.threshold} %"
