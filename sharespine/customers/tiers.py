"""Package tiers and the features each one unlocks: one table, used by every check.

Packages build on each other (100 ⊂ 200 ⊂ 400 ⊂ 800). Price lists, multishop (more than one
shop or channel), order-status sync and reconciliation need 400; plugins need 800.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    T100 = "100", _("Package 100")
    T200 = "200", _("Package 200")
    T400 = "400", _("Package 400")
    T800 = "800", _("Package 800")


class Feature(models.TextChoices):
    PRICE_LISTS = "price_lists", _("price lists")
    MULTISHOP = "multishop", _("multishop (more than one shop or channel)")
    ORDER_STATUS = "order_status", _("order-status sync")
    RECONCILIATION = "reconciliation", _("reconciliation")
    PLUGINS = "plugins", _("rules and plugins")


REQUIRED_TIER: dict[str, Tier] = {
    Feature.PRICE_LISTS: Tier.T400,
    Feature.MULTISHOP: Tier.T400,
    Feature.ORDER_STATUS: Tier.T400,
    Feature.RECONCILIATION: Tier.T400,
    Feature.PLUGINS: Tier.T800,
}


def tier_allows(tier: str, feature: str) -> bool:
    return int(tier) >= int(REQUIRED_TIER[feature])


# Packages sold on their own, outside the 100 ⊂ 200 ⊂ 400 ⊂ 800 chain (the stand-alone
# reconciliation package): feature → does this customer have it. Registered by the app that owns it.
ADDON_PACKAGES: dict[str, Callable[[Any], bool]] = {}


def customer_allows(customer, feature: str) -> bool:
    if tier_allows(customer.tier, feature):
        return True
    addon = ADDON_PACKAGES.get(feature)
    return bool(addon and customer.pk and addon(customer))


def require_feature(customer, feature: str) -> None:
    """Raise a ValidationError naming the tier needed when ``customer``'s package lacks ``feature``."""
    if customer_allows(customer, feature):
        return
    raise ValidationError(
        _("%(feature)s: needs package %(needed)s (%(customer)s has package %(tier)s)."),
        code="tier",
        params={
            "feature": Feature(feature).label.capitalize(),
            "needed": REQUIRED_TIER[feature].value,
            "customer": customer.name,
            "tier": customer.tier,
        },
    )
