from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    """Settlement import, parsers per provider, matching rules, SIE export (built on in later work)."""

    name = "reconciliation"
    verbose_name = _("Reconciliation")
