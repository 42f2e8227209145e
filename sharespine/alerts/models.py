"""Alerts: what is set up per integration, each problem's state, and every mail sent.

A problem is one row (``Alert``) from the first time it is seen until it is gone, whatever number
of orders it covers: "12 orders wait for payment method Swish" is one alert whose count moves. Its
``key`` names the cause (``orders:<flow>:<reason>:<kind>:<value>``, ``agent``, ``runs:<flow>``,
``payout:<id>``); the database allows one unresolved alert per integration and key, so two workers
that see the same new problem make one row. States: open (seen, nobody told yet) → notified (the
alert mail went) → resolved; ``gone_at`` marks a notified problem that went away and whose
"resolved" mail waits (for example for the end of the quiet hours).
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from flows.models import Integration


class AlertSettings(models.Model):
    """Thresholds, recipients, quiet hours and digest of one integration (made with the defaults
    by the first check; the consultant changes them)."""

    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, related_name="alert_settings", verbose_name=_("integration")
    )
    enabled = models.BooleanField(_("send alerts"), default=True)
    order_wait_minutes = models.PositiveIntegerField(
        _("order waits longer than (minutes)"),
        default=60,
        help_text=_("An order parked or failed, not in Visma after this long, is alerted."),
    )
    agent_offline_minutes = models.PositiveIntegerField(
        _("Visma agent offline longer than (minutes)"), default=30
    )
    failed_runs = models.PositiveIntegerField(
        _("flow failed this many runs in a row"), default=3, help_text=_("Between 1 and 20.")
    )
    payouts = models.BooleanField(_("payouts that do not balance"), default=True)
    immediately = models.BooleanField(
        _("mail each problem at once"),
        default=True,
        help_text=_("Off: problems and their resolution are only in the daily digest."),
    )
    consultant_emails = models.TextField(
        _("consultants' e-mails"),
        blank=True,
        help_text=_(
            "One or more addresses, separated by commas or new lines. Empty: every consultant with an "
            "e-mail address."
        ),
    )
    mail_merchant = models.BooleanField(
        _("mail the merchant where they must act"),
        default=True,
        help_text=_(
            "The merchant's users and contact e-mails get the problems only they can fix (the agent on "
            "their computer, an article or order in their shop or Visma)."
        ),
    )
    quiet_from = models.TimeField(_("quiet hours from"), default=time(22, 0))
    quiet_until = models.TimeField(
        _("quiet hours until"),
        default=time(7, 0),
        help_text=_("No mails in between (Swedish time), except the digest; what was found then goes after."),
    )
    digest_at = models.TimeField(_("daily digest at"), default=time(7, 0))
    digest_sent_on = models.DateField(_("digest last sent"), null=True, blank=True, editable=False)

    MAX_FAILED_RUNS = 20

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(failed_runs__gte=1, failed_runs__lte=20), name="alert_failed_runs_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.integration)

    @property
    def audit_customer(self):
        return self.integration.customer

    @property
    def consultant_email_list(self) -> list[str]:
        return [part.strip() for part in self.consultant_emails.replace("\n", ",").split(",") if part.strip()]

    def clean(self) -> None:
        for address in self.consultant_email_list:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"consultant_emails": _("%(address)s is not an e-mail address.") % {"address": address}}
                ) from None

    def is_quiet(self, clock: time) -> bool:
        """``clock`` (local time) inside the quiet hours; a window may run over midnight."""
        start, end = self.quiet_from, self.quiet_until
        if start == end:
            return False
        if start < end:
            return start <= clock < end
        return clock >= start or clock < end


class Alert(models.Model):
    class Kind(models.TextChoices):
        ORDERS = "orders", _("orders waiting")
        AGENT = "agent", _("Visma agent offline")
        RUNS = "runs", _("flow failing")
        PAYOUT = "payout", _("payout does not balance")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        NOTIFIED = "notified", _("notified")
        RESOLVED = "resolved", _("resolved")

    class Actor(models.TextChoices):
        MERCHANT = "merchant", _("the merchant")
        CONSULTANT = "consultant", _("the consultant")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("integration")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("problem"), max_length=255)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    actor = models.CharField(_("who must act"), max_length=10, choices=Actor.choices)
    count = models.PositiveIntegerField(_("count"), default=1)
    # What the mail says, in data (the text is made in each reader's language when mailed).
    data = models.JSONField(_("details"), default=dict)
    since = models.DateTimeField(_("waiting since"))
    opened_at = models.DateTimeField(_("found"))
    notified_at = models.DateTimeField(_("mailed"), null=True, blank=True)
    gone_at = models.DateTimeField(_("gone"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at"]
        constraints = [
            # One unresolved alert per problem: the second worker's insert is a no-op.
            models.UniqueConstraint(
                fields=["integration", "key"], condition=~Q(state="resolved"), name="alert_one_per_problem"
            )
        ]
        indexes = [models.Index(fields=["state", "integration"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.integration})"


class SentMail(models.Model):
    """One message to one address, as it was sent: the admin's record of every alert mail."""

    class Kind(models.TextChoices):
        ALERT = "alert", _("alert")
        RESOLVED = "resolved", _("resolved")
        DIGEST = "digest", _("daily digest")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="sent_mails", verbose_name=_("integration")
    )
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails", verbose_name=_("alert")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    to = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mails")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class MailLanguage(models.Model):
    """The language a user reads the site in (kept at login and when they switch), for their mails."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mail_language",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("mail language")
        verbose_name_plural = _("mail languages")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"
