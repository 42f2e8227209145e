"""What the live systems said, kept: their code lists (the admin's choices), the go-live check's
result, and the shop's orders in a trigger status that the look-back window leaves out."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from flows.models.config import Integration, JetshopShop


class LiveChoices(models.Model):
    """One code list as Visma or a shop last answered it: ``rows`` are ``{"code", "name"}``
    (article accounts add ``vat_code``). Read by the admin's forms, refreshed by the consultant."""

    class Kind(models.TextChoices):
        TERMS_OF_PAYMENT = "terms-of-payment", _("Visma terms of payment")
        WAY_OF_DELIVERY = "way-of-delivery", _("Visma ways of delivery")
        TERMS_OF_DELIVERY = "terms-of-delivery", _("Visma terms of delivery")
        ARTICLE_ACCOUNT = "article-account", _("Visma article accounts")
        PRICE_LIST = "price-list", _("Visma price lists")
        VAT_CODE = "vat-code", _("Visma VAT codes")
        ORDER_STATUS = "order-status", _("shop order statuses")
        SHOP_PRICE_LIST = "shop-price-list", _("shop price lists")
        CHANNEL = "channel", _("shop channels")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="live_choices", verbose_name=_("integration")
    )
    # Shop lists are per shop (a status id means something in one shop only); Visma's have none.
    shop = models.ForeignKey(
        JetshopShop, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("shop")
    )
    kind = models.CharField(_("list"), max_length=20, choices=Kind.choices)
    rows = models.JSONField(_("rows"), default=list)
    fetched_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("live choice list")
        verbose_name_plural = _("live choice lists")
        constraints = [
            models.UniqueConstraint(fields=["integration", "shop", "kind"], name="live_choices_unique"),
            models.UniqueConstraint(
                fields=["integration", "kind"],
                condition=models.Q(shop=None),
                name="live_choices_visma_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({len(self.rows)})"


class GoLiveCheck(models.Model):
    """One run of the go-live check: a line per question, each ``{"key", "title", "ok", "detail",
    "fix"}``, kept so the integration page shows when it was last green."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="golive_checks", verbose_name=_("integration")
    )
    ran_at = models.DateTimeField(_("run at"), auto_now_add=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("run by")
    )
    ok = models.BooleanField(_("all green"), default=False)
    lines = models.JSONField(_("lines"), default=list)

    class Meta:
        verbose_name = _("go-live check")
        verbose_name_plural = _("go-live checks")
        ordering = ["-ran_at", "-id"]
        permissions = [("run_golivecheck", _("Can run the go-live check"))]

    def __str__(self) -> str:
        return f"{self.integration}: {self.ran_at:%Y-%m-%d %H:%M}"


class OlderOrders(models.Model):
    """A shop's orders in a trigger status placed before its look-back window: the orders flow
    never pulls them, so they are listed here (``orders``: ``{"id", "number", "placed"}``), and a
    consultant may have them fetched once, since a date, through the orders flow."""

    shop = models.OneToOneField(
        JetshopShop, on_delete=models.CASCADE, related_name="older_orders", verbose_name=_("shop")
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    orders = models.JSONField(_("orders"), default=list)
    fetch_since = models.DateField(_("fetch orders placed since"), null=True, blank=True)
    fetch_requested_at = models.DateTimeField(_("fetch requested at"), null=True, blank=True)
    fetch_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fetch requested by"),
    )
    fetched_at = models.DateTimeField(_("fetched at"), null=True, blank=True)
    fetched_count = models.PositiveIntegerField(_("orders fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("orders outside the look-back window")
        verbose_name_plural = _("orders outside the look-back window")
        permissions = [("fetch_olderorders", _("Can fetch orders older than the look-back window"))]

    def __str__(self) -> str:
        return f"{self.shop}: {len(self.orders)}"

    @property
    def fetch_pending(self) -> bool:
        return self.fetch_since is not None and self.fetched_at is None
