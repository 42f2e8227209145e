"""Who gets an integration's alerts, each with the language their mail is written in.

The consultants (the addresses in the integration's alert settings, or else every active
consultant with an address) get every alert; the merchant (their users and the contact e-mails on
the merchant) only the ones they must act on, and only when the settings say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from sharespine.alerts.models import AlertSettings
from sharespine.customers.models import Membership
from sharespine.customers.roles import CONSULTANT


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    merchant: bool


class Book:
    """Every address that may be mailed in this check, read in two queries when the first mail
    is made (most checks mail nothing and read none)."""

    def __init__(self, customer_ids: set[int]) -> None:
        self.customer_ids = customer_ids
        self.loaded = False

    def _load(self) -> None:
        if self.loaded:
            return
        self.loaded = True
        customer_ids = self.customer_ids
        users = get_user_model().objects.filter(is_active=True).exclude(email="")
        # The language each known address reads (consultants typed into the settings included).
        self.language: dict[str, str] = {}
        self.consultants: list[str] = []
        consultants = users.filter(groups__name=CONSULTANT).values_list("email", "mail_language__language")
        for email, language in consultants:
            self.consultants.append(email)
            self.language[email.lower()] = language or django_settings.LANGUAGE_CODE
        self.members: dict[int, list[str]] = {}
        members = (
            Membership.objects.filter(customer_id__in=customer_ids, user__is_active=True)
            .exclude(user__email="")
            .values_list("customer_id", "user__email", "user__mail_language__language")
        )
        for customer_id, email, language in members:
            self.members.setdefault(customer_id, []).append(email)
            self.language.setdefault(email.lower(), language or django_settings.LANGUAGE_CODE)

    def _of(self, email: str, merchant: bool) -> Recipient:
        self._load()
        return Recipient(email, self.language.get(email.lower(), django_settings.LANGUAGE_CODE), merchant)

    def for_integration(self, alert_settings: AlertSettings, merchant_acts: bool) -> list[Recipient]:
        self._load()
        consultants = alert_settings.consultant_email_list or sorted(set(self.consultants))
        found = {email.lower(): self._of(email, merchant=False) for email in consultants}
        if merchant_acts and alert_settings.mail_merchant:
            customer = alert_settings.integration.customer
            for email in [*self.members.get(customer.pk, []), *customer.contact_email_list]:
                found.setdefault(email.lower(), self._of(email, merchant=True))
        return list(found.values())
