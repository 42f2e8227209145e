from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    """What the price model bills, counted per merchant and month, and the price matrix it is billed by."""

    name = "sharespine.metering"
    label = "metering"
    verbose_name = _("Usage and prices")
