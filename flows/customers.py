"""Which Visma customer an order belongs to: the right legal entity, found before created.

An invoice addressed to the wrong company is worse than a new customer, so for a company order
the organisation number decides, whatever else matches (peers-and-lessons.md C3, duplicates):

1. a consultant's choice for this order (``CustomerChoice``), made after the order was parked;
2. the channel's guest rule for an order without a shop customer id (shared customer number,
   match by e-mail, or a new customer per order);
3. the customer remembered for this shop customer (``ExternalRef``, kind customer), if it is
   still the same kind of buyer: a company with the order's organisation number, or a person;
4. Visma, by organisation number (companies), then by e-mail, each candidate held against the
   order the same way;
5. otherwise a new customer, created only after the order has mapped (``settle``), once per
   order whatever happens after: the agent creates it under the order's Idempotency-Key and
   answers a repeat (a lost answer, a crash, a retry after the order was parked) with the same
   customer.

Unsafe decisions park the order for a person: two Visma customers with the same organisation
number, or an organisation number whose check digit is wrong. Every candidate looked at, and why it
was refused, goes into the journey, so the order page can say how the customer was chosen.

``choose`` only reads; ``settle`` creates the customer. What is remembered for the shop customer
is written with the order's completion (``Decision.mapping``, ``engine.complete_many``), in the
same statement as the rest of its bookkeeping.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from connectors.jetshop.records import Order
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from flows.engine import MappingError
from flows.models import Channel, CustomerChoice, ExternalRef, Integration
from flows.order_mapping import customer_name, is_company, visma_name
from sharespine.customers.orgnumber import OrgId, org_id

# How a customer was chosen: the key the journey stores; the console words them.
BY_CHOICE = "chosen by a person"
BY_SHARED_GUEST = "shared guest customer"
BY_REMEMBERED = "known shop customer"
BY_ORG_NUMBER = "organisation number"
BY_EMAIL = "e-mail"
BY_NEW = "created"
WOULD_CREATE = "would create"


@dataclass(frozen=True)
class Candidate:
    """A Visma customer looked at for the order, and what became of it."""

    number: str
    name: str
    org_number: str
    found_by: str
    refused: str = ""  # why it was not used; empty for the one chosen

    def to_dict(self) -> dict[str, str]:
        return {
            "number": self.number,
            "name": self.name,
            "org_number": self.org_number,
            "found_by": self.found_by,
            "refused": self.refused,
        }


@dataclass(frozen=True)
class Decision:
    """The outcome of ``choose``: an existing customer's number, or the customer to create."""

    number: str  # empty while the customer is still to be created
    how: str
    shop_key: str  # the shop customer ("<shop pk>:<customer id>") to remember it for; "" for guests
    candidates: tuple[Candidate, ...] = ()
    new: P.CustomerInput | None = None
    remembered: str = ""  # the number remembered before, when it is being replaced
    chosen_by: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mapping(self) -> tuple[str, str] | None:
        """(shop customer, Visma customer) to remember when the order completes; None for guests."""
        return (self.shop_key, self.number) if self.shop_key and self.number else None

    def journey(self) -> dict:
        detail: dict = {"customer_how": self.how, "candidates": [c.to_dict() for c in self.candidates]}
        if self.chosen_by:
            detail["chosen_by"] = self.chosen_by
        if self.remembered and self.remembered != self.number:
            detail["customer_moved_from"] = self.remembered
        return detail


def customer_input(order: Order, currency: str | None) -> P.CustomerInput:
    bill, ship = order.bill_to, order.ship_to
    return P.CustomerInput(
        name=visma_name(bill, order),
        email=order.email or None,
        org_number=order.org_number or None,
        ignore_org_number_check=True,
        mailing_address=bill.address or None,
        mailing_address2=(f"c/o {bill.co}" if bill.co else None),
        zipcode=bill.zip_code or None,
        city=bill.city or None,
        country_code=bill.country_code or None,
        delivery_name=visma_name(ship, order) if customer_name(ship) else None,
        delivery_address=ship.address or None,
        delivery_zipcode=ship.zip_code or None,
        delivery_city=ship.city or None,
        delivery_country_code=ship.country_code or None,
        phone=bill.phone or None,
        currency=currency,
    )


class Buyer:
    """What the order says about who buys: a company (with or without its number) or a person."""

    def __init__(self, order: Order) -> None:
        self.company = is_company(order)
        self.name = order.bill_to.company.strip()
        self.org = org_id(order.org_number) if self.company else None

    def refusal(self, customer: P.Customer) -> str:
        """Why ``customer`` is not this buyer; empty when it is."""
        theirs = org_id(customer.org_number)
        if not self.company:
            if theirs is not None and theirs.legal_entity:
                return f"is a company (organisation number {theirs}); the order is a private purchase"
            return ""
        if self.org is not None:
            if theirs is None:
                return f"has no organisation number; the order's is {self.org}"
            if theirs != self.org:
                return f"has organisation number {theirs}; the order's is {self.org}"
            return ""
        # A company order without its number: only a customer of the same name, and not one whose
        # number is a person's, is the same buyer (we create such customers without a number too).
        if theirs is not None and not theirs.legal_entity:
            return f"is a person (personal identity number {theirs}); the order is from a company"
        if _plain(customer.name) != _plain(self.name):
            return f"is {customer.name!r}; the order is from {self.name!r} (without an organisation number)"
        return ""


def choose(
    integration: Integration,
    visma: VismaClient,
    order: Order,
    *,
    source_id: str,
    shop_pk: int,
    channel: Channel | None,
    retried: bool = True,
    known: dict[str, str] | None = None,
) -> Decision:
    """Find the order's customer, reading only; raises ``MappingError`` when a person must choose.

    A person's choice can only exist for an order tried before (it was parked), so a first attempt
    (``retried`` false) does not look for one. ``known``: remembered customers read for several
    orders at once (``remember_many``), kept up to date by ``settle``."""
    shop_key = _shop_key(shop_pk, order.customer_id)
    chosen = (
        CustomerChoice.objects.filter(integration=integration, source_id=source_id).first()
        if retried
        else None
    )
    if chosen is not None:
        new = None if chosen.customer_number else customer_input(order, order.currency_code or None)
        return Decision(chosen.customer_number, BY_CHOICE, shop_key, new=new, chosen_by=chosen.chosen_by)
    rule = channel.guest_rule if channel else Channel.GuestRule.MATCH_EMAIL
    if channel is not None and not shop_key and rule == Channel.GuestRule.SHARED_CUSTOMER:
        return Decision(channel.guest_customer_number, BY_SHARED_GUEST, shop_key)

    buyer = Buyer(order)
    if buyer.org is not None and not buyer.org.check_digit_ok:
        raise _choose_by_hand(
            f"the order's organisation number {buyer.org} fails its check digit; choose the customer",
            problem="check_digit",
            value=str(buyer.org),
            candidates=[_candidate(c, BY_ORG_NUMBER) for c in _by_org_number(visma, buyer.org)],
        )

    candidates: list[Candidate] = []
    if known is not None and shop_key in known:
        remembered = known[shop_key]
    else:
        remembered = _remembered(integration, shop_key)
    if remembered:
        found = visma.find_customers(number=remembered)
        if found:
            refused = buyer.refusal(found[0])
            candidates.append(_candidate(found[0], BY_REMEMBERED, refused))
            if not refused:
                return Decision(remembered, BY_REMEMBERED, shop_key, tuple(candidates), remembered=remembered)

    if shop_key or rule == Channel.GuestRule.MATCH_EMAIL:
        if buyer.org is not None:
            same = _by_org_number(visma, buyer.org)
            if len(same) > 1:
                raise _choose_by_hand(
                    f"Visma has {len(same)} customers with organisation number {buyer.org}: "
                    + ", ".join(f"{c.number} {c.name}" for c in same)
                    + "; choose which one the order is for",
                    problem="duplicate_org_number",
                    value=str(buyer.org),
                    candidates=[_candidate(c, BY_ORG_NUMBER) for c in same],
                )
            if same:
                candidates.append(_candidate(same[0], BY_ORG_NUMBER))
                return Decision(
                    same[0].number, BY_ORG_NUMBER, shop_key, tuple(candidates), remembered=remembered
                )
        if order.email:
            for customer in visma.find_customers(email=order.email):
                if any(c.number == customer.number for c in candidates):
                    continue
                refused = buyer.refusal(customer)
                candidates.append(_candidate(customer, BY_EMAIL, refused))
                if not refused:
                    return Decision(
                        customer.number, BY_EMAIL, shop_key, tuple(candidates), remembered=remembered
                    )

    new = customer_input(order, order.currency_code or None)
    return Decision("", BY_NEW, shop_key, tuple(candidates), new=new, remembered=remembered)


def settle(
    integration: Integration,
    visma: VismaClient,
    decision: Decision,
    *,
    key: str,
    known: dict[str, str] | None = None,
) -> Decision:
    """After the order mapped: create the customer if it is new, under ``key`` (the order's: a
    repeat gets the customer the first request made, so an order never makes two).

    Nothing is written here: the returned decision's ``mapping`` is remembered with the order's
    completion. ``known`` (see ``choose``) learns at once what that will store, for the run's next
    orders: a Visma customer another shop customer holds is not remembered for this one too.
    """
    created = decision.new is not None
    if decision.new is not None:
        customer = visma.create_customer(decision.new, key)
        decision = dataclasses.replace(
            decision, number=customer.number, new=None, warnings=tuple(customer.warnings)
        )
    shop_key, number = decision.shop_key, decision.number
    if known is not None and shop_key and known.get(shop_key) != number:
        # A customer just created is nobody else's; another is looked up, in the run's own
        # knowledge first (what it learnt may not be written yet), then in the database.
        taken = not created and (
            any(n == number and k != shop_key for k, n in known.items())
            or any(known.get(holder, number) == number for holder in _holders(integration, number, shop_key))
        )
        known[shop_key] = "" if taken else number
    return decision


def _holders(integration: Integration, number: str, shop_key: str) -> list[str]:
    """The other shop customers Visma customer ``number`` is remembered for."""
    return list(
        ExternalRef.objects.filter(integration=integration, kind=ExternalRef.Kind.CUSTOMER, erp_id=number)
        .exclude(shop_id=shop_key)
        .values_list("shop_id", flat=True)
    )


def remember_many(
    integration: Integration, orders: list[tuple[int | None, Any]], known: dict[str, str]
) -> None:
    """Add to ``known`` (see ``choose``) the customers remembered for several orders, each ``(shop
    pk, shop customer id)``, in one query ("" where none); keys ``known`` has are not read again:
    a run keeps what it learnt from its earlier orders, whose completion may still be under way."""
    keys = [key for shop, customer in orders if (key := _shop_key(shop, customer)) and key not in known]
    if not keys:
        return
    known.update(dict.fromkeys(keys, ""))
    known.update(
        ExternalRef.objects.filter(
            integration=integration, kind=ExternalRef.Kind.CUSTOMER, shop_id__in=keys
        ).values_list("shop_id", "erp_id")
    )


def _shop_key(shop_pk: int | None, customer_id: Any) -> str:
    return f"{shop_pk}:{customer_id}" if customer_id else ""


def _remembered(integration: Integration, shop_key: str) -> str:
    if not shop_key:
        return ""
    ref = ExternalRef.objects.filter(
        integration=integration, kind=ExternalRef.Kind.CUSTOMER, shop_id=shop_key
    ).first()
    return ref.erp_id if ref else ""


def _by_org_number(visma: VismaClient, org: OrgId) -> list[P.Customer]:
    """Every Visma customer with this organisation number, whatever shape it was typed in."""
    found: dict[str, P.Customer] = {}
    for spelling in org.spellings():
        for customer in visma.find_customers(org_number=spelling):
            if org_id(customer.org_number) == org:
                found.setdefault(customer.number, customer)
    return list(found.values())


def _candidate(customer: P.Customer, found_by: str, refused: str = "") -> Candidate:
    return Candidate(customer.number, customer.name, customer.org_number, found_by, refused)


def _choose_by_hand(message: str, *, problem: str, value: str, candidates: list[Candidate]) -> MappingError:
    return MappingError(
        message,
        reason="customer_choice",
        detail={
            "kind": "customer",
            "problem": problem,
            "value": value,
            "candidates": [c.to_dict() for c in candidates],
        },
    )


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())
