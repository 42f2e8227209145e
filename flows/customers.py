"""Which Visma customer an order belongs to: find before create, and remember the answer.

Order of looking (peers-and-lessons.md C3, duplicates):
1. a registered shop customer we have seen before: ``ExternalRef`` (kind customer), no call;
2. the channel's guest rule for an order without a shop customer id (shared customer number,
   match by e-mail, or a new customer per order);
3. Visma, by organisation number (companies) and then by e-mail;
4. create it, and store the reference at once, in its own transaction, so a crash before the
   document is written does not create the customer twice (the retry finds the reference).
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.jetshop.records import Order
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from flows.models import Channel, ExternalRef, Integration
from flows.order_mapping import customer_name, is_company


@dataclass(frozen=True)
class ResolvedCustomer:
    number: str
    created: bool = False
    how: str = ""
    warnings: tuple[str, ...] = ()


def customer_input(order: Order, currency: str | None) -> P.CustomerInput:
    bill, ship = order.bill_to, order.ship_to
    return P.CustomerInput(
        name=customer_name(bill) or order.email or f"Jetshop {order.order_number}",
        email=order.email or None,
        org_number=order.org_number or None,
        ignore_org_number_check=True,
        mailing_address=bill.address or None,
        mailing_address2=(f"c/o {bill.co}" if bill.co else None),
        zipcode=bill.zip_code or None,
        city=bill.city or None,
        country_code=bill.country_code or None,
        delivery_name=customer_name(ship) or None,
        delivery_address=ship.address or None,
        delivery_zipcode=ship.zip_code or None,
        delivery_city=ship.city or None,
        delivery_country_code=ship.country_code or None,
        phone=bill.phone or None,
        currency=currency,
    )


def resolve(
    integration: Integration,
    visma: VismaClient,
    order: Order,
    shop_pk: int,
    channel: Channel | None,
    *,
    dry_run: bool = False,
) -> ResolvedCustomer:
    shop_key = f"{shop_pk}:{order.customer_id}" if order.customer_id else ""
    if shop_key:
        known = ExternalRef.objects.filter(
            integration=integration, kind=ExternalRef.Kind.CUSTOMER, shop_id=shop_key
        ).first()
        if known:
            return ResolvedCustomer(known.erp_id, how="known shop customer")
    rule = channel.guest_rule if channel else Channel.GuestRule.MATCH_EMAIL
    if not shop_key and rule == Channel.GuestRule.SHARED_CUSTOMER:
        return ResolvedCustomer(channel.guest_customer_number, how="shared guest customer")
    if shop_key or rule == Channel.GuestRule.MATCH_EMAIL:
        found = _find(visma, order)
        if found:
            _remember(integration, shop_key, found.number)
            return ResolvedCustomer(found.number, how="found in Visma")
    if dry_run:
        return ResolvedCustomer("(new customer)", how="would create")
    created = visma.create_customer(customer_input(order, order.currency_code or None))
    _remember(integration, shop_key or f"guest:{shop_pk}:{order.order_id}", created.number)
    return ResolvedCustomer(created.number, created=True, how="created", warnings=tuple(created.warnings))


def _find(visma: VismaClient, order: Order) -> P.Customer | None:
    if is_company(order) and order.org_number:
        found = visma.find_customers(org_number=order.org_number)
        if found:
            return found[0]
    if order.email:
        found = visma.find_customers(email=order.email)
        if found:
            return found[0]
    return None


def _remember(integration: Integration, shop_key: str, number: str) -> None:
    if not shop_key:
        return
    # One INSERT … ON CONFLICT DO NOTHING, for either unique side: a shop customer remembered
    # already keeps its number, and when another shop customer already maps to this Visma
    # customer (one e-mail, two shop accounts) the mapping stays one to one and the next order
    # looks it up again.
    remembered = ExternalRef(
        integration=integration, kind=ExternalRef.Kind.CUSTOMER, shop_id=shop_key, erp_id=number
    )
    ExternalRef.objects.bulk_create([remembered], ignore_conflicts=True)
