"""Which tier-gated features a merchant's configuration uses, for checks across many objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sharespine.customers.tiers import Feature

if TYPE_CHECKING:
    from sharespine.customers.models import Customer


def shop_and_channel_counts(integration) -> tuple[int, int]:
    from flows.models import Channel

    return integration.shops.count(), Channel.objects.filter(shop__integration=integration).count()


def is_multishop(shops: int, channels: int) -> bool:
    """More than one shop, or more than one channel, is multishop."""
    return shops > 1 or channels > 1


def features_in_use(customer) -> set[str]:
    from flows.models import Integration, PluginSetting, PriceListMapping, Rule, StatusRule

    used: set[str] = set()
    integrations = Integration.objects.filter(customer=customer)
    if PriceListMapping.objects.filter(integration__customer=customer).exists():
        used.add(Feature.PRICE_LISTS)
    if StatusRule.objects.filter(integration__customer=customer).exists():
        used.add(Feature.ORDER_STATUS)
    if integrations.filter(reconciliation_enabled=True).exists():
        used.add(Feature.RECONCILIATION)
    if (
        Rule.objects.filter(integration__customer=customer).exists()
        or PluginSetting.objects.filter(integration__customer=customer).exists()
    ):
        used.add(Feature.PLUGINS)
    if any(is_multishop(*shop_and_channel_counts(integration)) for integration in integrations):
        used.add(Feature.MULTISHOP)
    return used


def features_for_package_check(sender: type[Customer], customer: Customer, **kwargs: object) -> set[str]:
    """Receiver of ``package_features_in_use``: what this merchant's integrations use."""
    return features_in_use(customer)
