"""The merchant (our tenant), who may see it, and the log of configuration changes."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharespine.customers.orgnumber import normalise_org_number, validate_org_number
from sharespine.customers.tiers import Feature, Tier, require_feature


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user) -> CustomerQuerySet:
        """Staff (consultants, support) see every merchant; a merchant user only their own."""
        if user.is_superuser or user.is_staff:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=13,
        unique=True,
        validators=[validate_org_number],
        help_text=_("NNNNNN-NNNN; the check digit is verified."),
    )
    tier = models.CharField(_("package"), max_length=3, choices=Tier.choices, default=Tier.T200)
    contact_emails = models.TextField(
        _("contact e-mails"),
        blank=True,
        help_text=_("One or more addresses, separated by commas or new lines."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_email_list(self) -> list[str]:
        return [part.strip() for part in self.contact_emails.replace("\n", ",").split(",") if part.strip()]

    def clean(self) -> None:
        if self.org_number:
            try:
                self.org_number = normalise_org_number(self.org_number)
            except ValidationError:
                # The field's own validator (validate_org_number) says why, once.
                pass
        for address in self.contact_email_list:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"contact_emails": _("%(address)s is not an e-mail address.") % {"address": address}}
                ) from None
        if self.pk:
            self._check_downgrade()

    def _check_downgrade(self) -> None:
        """A lower package may not leave configuration in place that it does not include."""
        from sharespine.customers.signals import package_features_in_use

        errors = []
        for _receiver, features in package_features_in_use.send(sender=Customer, customer=self):
            # The receivers answer a set of features (the stubs type a response as a str).
            for feature in cast(set[str], features):
                try:
                    require_feature(self, feature)
                except ValidationError as exc:
                    errors.extend(exc.messages)
        if errors:
            raise ValidationError({"tier": errors})

    def require(self, feature: Feature) -> None:
        require_feature(self, feature)


class Membership(models.Model):
    """A merchant user's access to one merchant (a user may belong to several)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("merchant")
    )

    class Meta:
        verbose_name = _("merchant user")
        verbose_name_plural = _("merchant users")
        # Make a new dashboard login for the merchant (a non-staff user in the Merchant group only),
        # without the right to add or edit users in general.
        permissions = [("add_merchant_login", _("Can give a merchant a new dashboard login"))]
        constraints = [models.UniqueConstraint(fields=["user", "customer"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"

    @property
    def audit_customer(self) -> Customer:
        """The change log files a login given or taken under its merchant."""
        return self.customer


class ConfigChange(models.Model):
    """Who changed which configuration field, when, from what to what. Never edited."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        CHANGED = "changed", _("changed")
        DELETED = "deleted", _("deleted")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("who"),
    )
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="config_changes",
        verbose_name=_("merchant"),
    )
    model = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    field = models.CharField(_("field"), max_length=100, blank=True)
    old_value = models.TextField(_("from"), blank=True)
    new_value = models.TextField(_("to"), blank=True)

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self) -> str:
        # Local time and the action's name in the reader's language: this is the entry page's title.
        at = timezone.localtime(self.at) if self.at else None
        when = f"{at:%Y-%m-%d %H:%M}" if at else ""
        return f"{when} {self.user} {self.get_action_display()} {self.object_repr}".strip()
