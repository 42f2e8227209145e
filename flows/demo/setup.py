"""A demo merchant's configuration, pointed at the simulators (used by ``make run`` and the tests).

It is what a consultant would enter in the admin for a typical merchant: one Jetshop shop with a
Swedish and a Norwegian channel, orders transferred when they are "Mottagen" and then set to
"Behandlas", payment and delivery methods mapped to Visma codes, delivered orders set to "Skickad"
with e-mail, tracking number and capture, cancelled ones to "Makulerad"; Visma's ordinary and
reseller price lists mapped to the shop's Swedish and B2B price lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from flows.engine.schedules import sync_schedules
from flows.models import (
    Channel,
    Integration,
    JetshopShop,
    MethodMapping,
    OrderTrigger,
    PriceListMapping,
    StatusRule,
    VismaAgent,
)
from flows.modes import FlowMode
from sharespine.customers.models import Customer

# The demo agent's credentials (make run's Procfile gives the agent the same); never in production.
DEMO_AGENT_KEY = "demo-agent"
DEMO_AGENT_SECRET = "demo-agent-secret-not-for-production"
# The simulator's demo seed (connectors/jetshop/simulator/seed.py): statuses and price lists.
STATUS_RECEIVED, STATUS_PROCESSING, STATUS_SHIPPED, STATUS_CANCELLED = 1, 2, 3, 4
PRICE_LIST_SE = "7c7dfec3-2312-4dc9-a74f-913f3da0c686"
PRICE_LIST_NO = "0036268d-6d49-4a21-b0a2-3c12af44fb14"
PRICE_LIST_B2B = "f2585a2d-452f-45eb-9cb1-9080134ce0c9"
PAYMENT_CODES = {"KlarnaCheckout": "K", "Dibs": "K", "SveaCheckout": "F", "Invoice": "F"}
DELIVERY_CODES = {"PostNord MyPack": "P", "Bring": "B", "Hämta i butik": "H"}


@dataclass
class ChannelSpec:
    channel_id: str
    name: str
    currency: str
    culture: str
    price_list: str | None = None


@dataclass
class ShopSpec:
    name: str
    endpoint_url: str
    reference_prefix: str = ""
    channels: list[ChannelSpec] = field(
        default_factory=lambda: [
            ChannelSpec("1", "Sverige", "SEK", "sv-SE", PRICE_LIST_SE),
            ChannelSpec("2", "Norge", "NOK", "nb-NO", PRICE_LIST_NO),
        ]
    )


@transaction.atomic
def configure(
    customer: Customer,
    *,
    shops: list[ShopSpec],
    agent_url: str,
    key_id: str,
    secret: str,
    name: str = "Webbshop",
    flow_mode: str = FlowMode.ERP,
    document_type: str = Integration.DocumentType.ORDER,
    live: bool = True,
    poll_seconds: int = 10,
    catalogue_poll_seconds: int = 60,
) -> Integration:
    integration, _ = Integration.objects.update_or_create(
        customer=customer,
        name=name,
        defaults={
            "flow_mode": flow_mode,
            "document_type": document_type,
            "live": live,
            "poll_orders": poll_seconds,
            "poll_order_status": poll_seconds,
            "poll_products": catalogue_poll_seconds,
            "poll_prices": catalogue_poll_seconds,
            "poll_price_lists": catalogue_poll_seconds,
            "poll_stock": catalogue_poll_seconds,
        },
    )
    VismaAgent.objects.update_or_create(
        integration=integration, defaults={"agent_url": agent_url, "key_id": key_id, "secret": secret}
    )
    for spec in shops:
        shop, _ = JetshopShop.objects.update_or_create(
            integration=integration,
            name=spec.name,
            defaults={
                "endpoint_url": spec.endpoint_url,
                "username": "sim",
                "password": "sim",
                "shop_id_header": "demo",
                "cultures": ",".join(dict.fromkeys(c.culture for c in spec.channels)),
                "order_reference_prefix": spec.reference_prefix,
                "transferred_status_id": STATUS_PROCESSING,
                "calls_per_second": 50,
            },
        )
        OrderTrigger.objects.get_or_create(
            shop=shop, status_id=STATUS_RECEIVED, defaults={"name": "Mottagen"}
        )
        for channel in spec.channels:
            Channel.objects.update_or_create(
                shop=shop,
                channel_id=channel.channel_id,
                defaults={
                    "name": channel.name,
                    "currency": channel.currency,
                    "culture": channel.culture,
                    "price_list_guid": channel.price_list,
                    "order_text": f"Webborder {channel.name}",
                },
            )
    for kind, table in (
        (MethodMapping.Kind.PAYMENT, PAYMENT_CODES),
        (MethodMapping.Kind.DELIVERY, DELIVERY_CODES),
    ):
        for shop_value, code in table.items():
            MethodMapping.objects.update_or_create(
                integration=integration, kind=kind, shop_value=shop_value, defaults={"visma_code": code}
            )
    rules = {
        StatusRule.Event.DELIVERED: dict(shop_status_id=STATUS_SHIPPED, capture_payment=True),
        StatusRule.Event.CANCELLED: dict(shop_status_id=STATUS_CANCELLED, include_tracking=False),
    }
    for event, values in rules.items():
        StatusRule.objects.update_or_create(integration=integration, event=event, defaults=values)
    # Visma's ordinary list (incl. VAT) is the Swedish channel's; the reseller list (excl. VAT) the B2B one.
    for code, guid, incl in (("1", PRICE_LIST_SE, True), ("2", PRICE_LIST_B2B, False)):
        PriceListMapping.objects.update_or_create(
            integration=integration,
            visma_price_list=code,
            defaults={"jetshop_price_list_guid": guid, "includes_vat": incl},
        )
    sync_schedules(integration)
    return integration
