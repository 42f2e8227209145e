"""Payouts as the PSPs stated them, their lines and matches, bank lines, postings and the account plan.

Uniqueness in the database makes import and posting idempotent: a file is known by its SHA-256 per
integration, a payout by (integration, provider, reference), a posting by its payout.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.db import models
from django.utils.translation import gettext_lazy as _

from flows.models import Integration
from sharespine.customers.models import Customer
from sharespine.customers.secrets import EncryptedTextField


class _Money(TypedDict):
    max_digits: int
    decimal_places: int


MONEY: _Money = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0.00")


class Provider(models.TextChoices):
    KLARNA = "klarna", "Klarna"
    NETS = "nets", "Nets / Nexi"
    SVEA = "svea", "Svea"


class ReconciliationPackage(models.Model):
    """The stand-alone reconciliation package: reconciliation without package 400 (and without a
    shop integration of ours: the merchant's shop may be connected by someone else)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="reconciliation_package")
    since = models.DateField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("stand-alone reconciliation package")
        verbose_name_plural = _("stand-alone reconciliation packages")

    def __str__(self) -> str:
        return str(self.customer)

    @property
    def audit_customer(self) -> Customer:
        return self.customer


class AccountPlan(models.Model):
    """Accounts per integration, Swedish BAS defaults; the consultant may change each one."""

    integration = models.OneToOneField(Integration, on_delete=models.CASCADE, related_name="account_plan")
    receivables = models.CharField(_("customer invoices (receivables)"), max_length=6, default="1510")
    clearing_klarna = models.CharField(_("Klarna clearing account"), max_length=6, default="1580")
    clearing_nets = models.CharField(_("Nets clearing account"), max_length=6, default="1580")
    clearing_svea = models.CharField(_("Svea clearing account"), max_length=6, default="1580")
    bank = models.CharField(_("bank account"), max_length=6, default="1930")
    fees_klarna = models.CharField(_("Klarna fees"), max_length=6, default="6064")
    fees_nets = models.CharField(_("Nets fees"), max_length=6, default="6570")
    fees_svea = models.CharField(_("Svea fees"), max_length=6, default="6064")
    fee_vat = models.CharField(_("VAT on PSP fees"), max_length=6, default="2641")
    rounding = models.CharField(_("öre rounding"), max_length=6, default="3740")
    holdback = models.CharField(_("reserve / holdback"), max_length=6, default="1680")
    debt = models.CharField(_("debt to the PSP"), max_length=6, default="2890")
    fx_gain = models.CharField(_("currency gain"), max_length=6, default="3960")
    fx_loss = models.CharField(_("currency loss"), max_length=6, default="7960")
    exceptions = models.CharField(_("unmatched PSP items"), max_length=6, default="1590")
    payment_code_klarna = models.CharField(_("Klarna payment code in Visma"), max_length=6, default="KL")
    payment_code_nets = models.CharField(_("Nets payment code in Visma"), max_length=6, default="NE")
    payment_code_svea = models.CharField(_("Svea payment code in Visma"), max_length=6, default="SV")
    adjustment_code = models.CharField(
        _("adjustment code in Visma for öre differences"),
        max_length=6,
        default="ORE",
        help_text=_("A code of Visma's adjustment codes (table 63) whose account is the rounding account."),
    )
    voucher_series = models.CharField(_("voucher series"), max_length=2, default="K")
    rounding_tolerance = models.DecimalField(
        _("öre tolerance per invoice"), max_digits=6, decimal_places=2, default=Decimal("0.50")
    )
    bank_days = models.PositiveSmallIntegerField(_("days a payout may take to reach the bank"), default=3)
    watch_folder = models.CharField(
        _("watched folder"),
        max_length=500,
        blank=True,
        help_text=_("A folder on the server where payout files land (e.g. the merchant's Klarna SFTP drop)."),
    )

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")

    def __str__(self) -> str:
        return str(self.integration)

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    def clearing(self, provider: str) -> str:
        return getattr(self, f"clearing_{provider}")

    def fees(self, provider: str) -> str:
        return getattr(self, f"fees_{provider}")

    def payment_code(self, provider: str) -> str:
        return getattr(self, f"payment_code_{provider}")

    @classmethod
    def for_integration(cls, integration: Integration) -> AccountPlan:
        plan, _created = cls.objects.get_or_create(integration=integration)
        return plan


class KlarnaAccount(models.Model):
    """Klarna Settlements API credentials of an integration: payouts pulled on a schedule."""

    integration = models.OneToOneField(Integration, on_delete=models.CASCADE, related_name="klarna_account")
    base_url = models.URLField(_("API base URL"), default="https://api.klarna.com")
    username = models.CharField(_("API username"), max_length=200)
    password = EncryptedTextField(_("API password"), blank=True)
    enabled = models.BooleanField(_("pull payouts"), default=True)
    pulled_until = models.DateField(_("pulled until"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)

    class Meta:
        verbose_name = _("Klarna API account")
        verbose_name_plural = _("Klarna API accounts")

    def __str__(self) -> str:
        return f"{self.integration} ({self.username})"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer


class SettlementFile(models.Model):
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="settlement_files")
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    source_format = models.CharField(_("format"), max_length=40)
    source = models.CharField(_("came from"), max_length=20, default="upload")  # upload, folder, api, cli
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement file")
        verbose_name_plural = _("settlement files")
        constraints = [
            models.UniqueConstraint(fields=["integration", "sha256"], name="settlement_file_once"),
        ]

    def __str__(self) -> str:
        return self.name


class Payout(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("held")
        OPEN = "open", _("to match")
        MATCHED = "matched", _("matched")
        POSTED = "posted", _("posted")

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="payouts")
    file = models.ForeignKey(
        SettlementFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="payouts"
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    reference = models.CharField(_("payout reference"), max_length=100)
    payout_date = models.DateField(_("payout date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    stated_total = models.DecimalField(_("PSP total"), null=True, blank=True, **MONEY)
    naive_total = models.DecimalField(_("Σ all rows"), default=ZERO, **MONEY)
    lines_total = models.DecimalField(_("Σ lines"), default=ZERO, **MONEY)
    bank_amount = models.DecimalField(_("bank amount"), null=True, blank=True, **MONEY)
    bank_date = models.DateField(_("bank date"), null=True, blank=True)
    duplicates = models.PositiveIntegerField(_("duplicate rows"), default=0)
    dropped = models.PositiveIntegerField(_("duplicates dropped"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    held_reason = models.CharField(_("held because"), max_length=40, blank=True)
    difference = models.DecimalField(_("difference"), default=ZERO, **MONEY)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    match_needed = models.PositiveIntegerField(_("lines to match"), default=0)
    totals = models.JSONField(_("PSP totals block"), default=dict, blank=True)
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)
    posted_at = models.DateTimeField(_("posted"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-payout_date", "-pk"]
        permissions = [
            ("post_payout", "Can post payouts to Visma and export them"),
            ("rematch_payout", "Can match payouts again"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["integration", "provider", "reference"], name="payout_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.reference}"

    @property
    def in_bank(self) -> bool:
        return self.bank_amount is not None


class PayoutLine(models.Model):
    class Match(models.TextChoices):
        PENDING = "pending", _("not matched yet")
        MATCHED = "matched", _("matched")
        WAITING = "waiting", _("waiting for the invoice")
        HELD = "held", _("held")
        BOOKED = "booked", _("booked on the voucher")  # fees, holdbacks: nothing to match
        DROPPED = "dropped", _("duplicate, dropped")

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10)
    psp_type = models.CharField(_("PSP type"), max_length=40)
    amount = models.DecimalField(_("amount"), **MONEY)
    fee = models.DecimalField(_("fee"), default=ZERO, **MONEY)
    fee_vat = models.DecimalField(_("VAT on fee"), default=ZERO, **MONEY)
    net = models.DecimalField(_("net"), **MONEY)
    row_id = models.CharField(_("PSP row id"), max_length=100, blank=True)
    order_ref = models.CharField(_("shop order"), max_length=100, blank=True, db_index=True)
    invoice_ref = models.CharField(_("invoice reference"), max_length=100, blank=True)
    psp_order_id = models.CharField(_("PSP order id"), max_length=100, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    raw = models.JSONField(_("row as sent"), default=dict)
    match = models.CharField(_("match"), max_length=10, choices=Match.choices, default=Match.PENDING)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    invoice_number = models.PositiveIntegerField(_("Visma invoice"), null=True, blank=True)
    rounding = models.DecimalField(_("öre difference"), default=ZERO, **MONEY)
    invoice_rate = models.DecimalField(
        _("invoice's booked rate"), max_digits=12, decimal_places=6, null=True, blank=True
    )  # SEK per unit, for a payout in a foreign currency

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ["payout", "row"]
        indexes = [models.Index(fields=["payout", "match"], name="payout_line_match")]

    def __str__(self) -> str:
        return f"{self.payout} row {self.row}"


class BankLine(models.Model):
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="bank_lines")
    booking_date = models.DateField(_("booking date"))
    text = models.CharField(_("text"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    fingerprint = models.CharField(max_length=64)
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="bank_line"
    )

    class Meta:
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        constraints = [
            models.UniqueConstraint(fields=["integration", "fingerprint"], name="bank_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.text} {self.amount}"


class Posting(models.Model):
    """What was written to Visma for a payout; one per payout, so posting happens once."""

    class Status(models.TextChoices):
        STARTED = "started", _("started")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    payout = models.OneToOneField(Payout, on_delete=models.CASCADE, related_name="posting")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STARTED)
    plan = models.JSONField(_("posting plan"), default=dict)
    results = models.JSONField(_("what Visma answered"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")

    def __str__(self) -> str:
        return f"{self.payout} {self.status}"
