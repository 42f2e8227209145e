"""Shop orders as Visma invoices, end to end, and the right legal customer on every document.

A real Celery worker, both simulators over HTTP. Company orders share one buyer's e-mail across
several companies (a bookkeeper, a shared accounts address), and Visma already has a customer with
that e-mail under yet another organisation number: every document must still be addressed to the
company whose organisation number is on the order.
"""

from __future__ import annotations

import random
import uuid

import pytest

from connectors.visma import protocol as P
from flows.models import StatusRule, SyncItem
from sharespine.customers.orgnumber import luhn_check_digit, org_id
from tests.e2e.conftest import Beat
from tests.e2e.test_orders_e2e import ORDERS, STATUS, assert_exactly_once_and_to_the_ore, finished, setup
from tests.e2e.test_orders_e2e import random_order as base_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHARED_EMAIL = "ekonomi@redovisningsbyran.example.se"


def valid_org(rng: random.Random) -> str:
    first = f"5{rng.randint(0, 9)}{rng.randint(2, 9)}{rng.randint(0, 999_999):06d}"
    return f"{first[:6]}-{first[6:]}{luhn_check_digit(first)}"


def orders_for(shops, count: int, orgs: list[tuple[str, str]], seed: int) -> list[tuple[str, dict]]:
    """Half the orders are company orders from one of ``orgs``, all with the shared e-mail."""
    rng = random.Random(seed)
    placed = []
    for index, (shop, prefix, channel) in enumerate([(shops[0], "SE-", 1), (shops[1], "NO-", 2)]):
        specs = []
        for n in range(index * count, index * count + count // 2):
            spec = base_order(rng, n, channel)
            if n % 2 == 0:
                name, org = rng.choice(orgs)
                # Registered shop accounts that buy for changing companies, and guests.
                spec.update(email=SHARED_EMAIL, org_number=org, customer_id=rng.choice([None, 7001, 7002]))
                spec["bill_to"] = {**spec["bill_to"], "company": name}
            else:
                spec["bill_to"] = {**spec["bill_to"], "company": ""}
            specs.append(spec)
        placed += [(prefix + o["number"], o) for o in shop.place(*specs)]
    return placed


def test_orders_as_invoices_with_the_right_company_and_invoice_events_back_to_the_shop(worker, shops, agent):
    rng = random.Random(23)
    orgs = [(f"Bolag {letter} AB", valid_org(rng)) for letter in "ABC"]
    # The trap: a customer with the shared e-mail, under an organisation number no order has.
    agent.client.create_customer(
        P.CustomerInput(name="Redovisningsbyrån AB", email=SHARED_EMAIL, org_number=valid_org(rng),
                        ignore_org_number_check=True), uuid.uuid4().hex
    )  # fmt: skip
    integration = setup(shops, agent, document_type="invoice")
    rules = {"invoiced": (5, False, False), "paid": (3, True, True), "cancelled": (4, True, False)}
    for event, (status_id, mail, capture) in rules.items():
        StatusRule.objects.update_or_create(
            integration=integration,
            event=event,
            defaults={"shop_status_id": status_id, "send_email": mail, "capture_payment": capture},
        )
    placed = orders_for(shops, 60, orgs, seed=29)
    beat = Beat(integration.pk, (ORDERS, STATUS))
    beat.until(lambda: finished(integration, 60), timeout=240)

    assert SyncItem.objects.filter(integration=integration, flow=ORDERS, status="done").count() == 60
    assert_exactly_once_and_to_the_ore(agent, placed)
    for reference, order in placed:
        [document] = agent.documents(reference)
        assert document.kind == "invoice", reference
        customer = agent.client.find_customers(number=document.customer_number)[0]
        if order["org_number"]:
            assert org_id(customer.org_number) == org_id(order["org_number"]), reference
        else:
            assert not customer.org_number, f"{reference}: a private purchase on a company"

    # Invoiced → "awaiting payment"; then some are paid, some cancelled in Visma.
    se = [(ref, o) for ref, o in placed if ref.startswith("SE-")]
    paid, cancelled = se[:10], se[10:15]
    shop_of = {ref: shops[0] for ref, _ in se}
    beat.until(lambda: all(shops[0].order(o["id"])["status_id"] == 5 for _, o in se), timeout=120)
    for ref, _order in paid:
        [invoice] = agent.documents(ref)
        agent.client.sim("POST", f"invoices/{invoice.number}/payments", {"amount": str(invoice.total)})
    for ref, _order in cancelled:
        [invoice] = agent.documents(ref)
        agent.client.sim("POST", f"documents/invoice/{invoice.number}/cancel")
    expected = {ref: 3 for ref, _ in paid} | {ref: 4 for ref, _ in cancelled}
    orders = dict(se)
    beat.until(
        lambda: all(shop_of[ref].order(orders[ref]["id"])["status_id"] == s for ref, s in expected.items()),
        timeout=120,
    )
    # Every event handled (none left queued or in processing): each applied once.
    beat.until(
        lambda: (
            not SyncItem.objects.filter(integration=integration, status__in=["queued", "processing"]).exists()
        )
    )
    for ref, order in se:
        state = shops[0].order(order["id"])
        emails = 1 if ref in expected else 0
        captures = 1 if ref in dict(paid) and order["payment_method"] != "Invoice" else 0
        assert (len(state["emails"]), len(state["captures"])) == (emails, captures), ref
