"""The right legal customer on every document: the organisation number decides for companies.

Through the orders flow against both simulators: Visma customers are set up in the simulated
company first, then the shop order is transferred and the document's customer read back.
"""

from __future__ import annotations

import random
import uuid

import pytest
from django.urls import reverse

from connectors.visma import protocol as P
from flows.models import CustomerChoice, ExternalRef, JourneyStep, MethodMapping, SyncItem
from sharespine.customers.orgnumber import luhn_check_digit, org_id
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db(transaction=True)


RNG = random.Random()


def new_org() -> str:
    """A valid Swedish organisation number no other test uses (the Visma company lives all session)."""
    first = f"5{RNG.randint(0, 9)}{RNG.randint(2, 9)}{RNG.randint(0, 999_999):06d}"  # third digit ≥ 2
    return f"{first[:6]}-{first[6:]}{luhn_check_digit(first)}"


def customer(agent, name: str, *, org: str = "", email: str = "") -> P.Customer:
    return agent.client.create_customer(
        P.CustomerInput(name=name, org_number=org or None, email=email or None, ignore_org_number_check=True),
        uuid.uuid4().hex,
    )


def company_order(org: str, email: str, company: str = "Köparbolaget AB", **overrides) -> dict:
    bill = {"company": company, "first_name": "Eva", "last_name": "Lund", "address": "Gatan 2",
            "zip_code": "111 22", "city": "Stockholm", "country_code": "SE"}  # fmt: skip
    return order_spec(org_number=org, email=email, bill_to=bill, **overrides)


def booked_on(agent, item: SyncItem) -> P.Customer:
    [document] = agent.documents(item.reference)
    return agent.client.find_customers(number=document.customer_number)[0]


def mapped_detail(item: SyncItem) -> dict:
    return JourneyStep.objects.filter(item=item, step="mapped").latest("id").detail


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("556800-7537", "5568007537"),  # with and without the dash
        ("5568007537", "556800-7537"),
        ("16556800-7537", "556800-7537"),  # 12 digits, with the century
        ("SE556800753701", "556800-7537"),  # the VAT number
        ("923609016", "923 609 016"),  # Norwegian, 9 digits
        ("NO 923 609 016 MVA", "923609016"),
    ],
)
def test_one_organisation_number_in_every_shape_is_the_same_entity(written, stored):
    assert org_id(written) == org_id(stored)
    assert org_id(written).check_digit_ok
    assert org_id(written).legal_entity


def test_a_personal_identity_number_is_a_person_and_a_wrong_check_digit_is_seen():
    assert not org_id("19800101-0001").legal_entity
    assert org_id("19800101-0001").check_digit_ok
    assert not org_id("556800-7538").check_digit_ok
    assert not org_id("923609017").check_digit_ok


def test_same_email_other_organisation_number_is_not_used(integration, shop, agent, prefix):
    email = f"inkop-{prefix}@example.se"
    other = customer(agent, "Annat Bolag AB", org=new_org(), email=email)
    org = new_org()
    shop.place(company_order(org, email, customer_id=None))
    [item] = transfer(integration)
    assert item.status == "done", item.last_error
    booked = booked_on(agent, item)
    assert booked.number != other.number
    assert org_id(booked.org_number) == org_id(org)
    detail = mapped_detail(item)
    assert detail["customer_how"] == "created"
    [refused] = detail["candidates"]
    assert refused["number"] == other.number and "organisation number" in refused["refused"]


def test_found_by_organisation_number_in_another_shape(integration, shop, agent, prefix):
    org = new_org()
    stored = customer(agent, "Formbolaget AB", org=org.replace("-", ""))
    shop.place(company_order(org, f"x-{prefix}@example.se", customer_id=None))
    [item] = transfer(integration)
    assert booked_on(agent, item).number == stored.number
    assert mapped_detail(item)["customer_how"] == "organisation number"


def test_remembered_shop_customer_now_buying_for_another_company_moves_to_it(
    integration, shop, agent, prefix
):
    email = f"konto-{prefix}@example.se"
    customer_id = random.randint(10_000, 99_999)
    first_org, second_org = new_org(), new_org()
    shop.place(company_order(first_org, email, customer_id=customer_id, company="Första AB"))
    [first] = transfer(integration)
    first_customer = booked_on(agent, first)
    assert org_id(first_customer.org_number) == org_id(first_org)

    # The same shop account, now ordering for another company that Visma already has.
    second_company = customer(agent, "Andra AB", org=second_org)
    shop.place(company_order(second_org, email, customer_id=customer_id, company="Andra AB"))
    [second] = transfer(integration)
    assert booked_on(agent, second).number == second_company.number
    detail = mapped_detail(second)
    assert detail["customer_moved_from"] == first_customer.number
    assert detail["candidates"][0]["number"] == first_customer.number
    assert detail["candidates"][0]["found_by"] == "known shop customer"
    assert detail["candidates"][0]["refused"]
    ref = ExternalRef.objects.get(
        integration=integration, kind="customer", shop_id__endswith=f":{customer_id}"
    )
    assert ref.erp_id == second_company.number

    # And a private purchase from that account is not booked on either company.
    shop.place(order_spec(customer_id=customer_id, email=email))
    [private] = transfer(integration)
    booked = booked_on(agent, private)
    assert booked.number not in (first_customer.number, second_company.number)
    assert not booked.org_number


def test_private_order_is_never_booked_on_a_company_found_by_email(integration, shop, agent, prefix):
    email = f"delad-{prefix}@example.se"
    company = customer(agent, "Bokföraren AB", org=new_org(), email=email)
    shop.place(order_spec(customer_id=None, email=email))
    [item] = transfer(integration)
    booked = booked_on(agent, item)
    assert booked.number != company.number and not booked.org_number
    assert "private purchase" in mapped_detail(item)["candidates"][0]["refused"]


def test_company_order_is_never_booked_on_a_private_customer_found_by_email(integration, shop, agent, prefix):
    email = f"privat-{prefix}@example.se"
    person = customer(agent, "Eva Lund", email=email)
    org = new_org()
    shop.place(company_order(org, email, customer_id=None))
    [item] = transfer(integration)
    booked = booked_on(agent, item)
    assert booked.number != person.number and org_id(booked.org_number) == org_id(org)


# The console's roles come from migrations, which a transactional test's flush removes.
with_roles = pytest.mark.django_db


@with_roles
def test_two_customers_with_the_order_number_park_it_until_a_consultant_chooses(
    integration, shop, agent, prefix, consultant, support, client
):
    org = new_org()
    one = customer(agent, "Dubblett Ett AB", org=org)
    two = customer(agent, "Dubblett Två AB", org=org.replace("-", ""))
    shop.place(company_order(org, f"d-{prefix}@example.se", customer_id=None))
    [item] = transfer(integration)
    assert (item.status, item.reason) == ("parked", "customer_choice")
    assert one.number in item.last_error and two.number in item.last_error
    assert not agent.documents(item.reference), "nothing written while it is unsafe"

    page = reverse("admin:flows_order_journey", args=[integration.pk, item.reference])
    choose = reverse("admin:flows_syncitem_choose_customer", args=[item.pk])
    client.force_login(support)
    assert 'id="choose-customer"' not in client.get(page).content.decode()
    assert client.post(choose, {"customer": two.number}).status_code == 403

    client.force_login(consultant)
    html = client.get(page).content.decode()
    assert 'id="choose-customer"' in html and "Dubblett Två AB" in html
    client.post(choose, {"customer": two.number})
    assert CustomerChoice.objects.get(source_id=item.source_id).chosen_by == "consultant"
    transfer(integration)
    item.refresh_from_db()
    assert item.status == "done", item.last_error
    assert booked_on(agent, item).number == two.number
    html = client.get(page).content.decode()
    assert 'id="customer-choice"' in html and "consultant" in html


@with_roles
def test_a_number_that_fails_its_check_digit_parks_and_a_new_customer_can_be_chosen(
    integration, shop, agent, prefix, consultant, client
):
    valid = new_org()
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    shop.place(company_order(wrong, f"c-{prefix}@example.se", customer_id=None))
    [item] = transfer(integration)
    assert (item.status, item.reason) == ("parked", "customer_choice")
    assert wrong in item.last_error and "check digit" in item.last_error

    client.force_login(consultant)
    choose = reverse("admin:flows_syncitem_choose_customer", args=[item.pk])
    assert client.post(choose, {"customer": "NO-SUCH-1"}).status_code == 302
    assert not CustomerChoice.objects.filter(source_id=item.source_id).exists(), "unknown number refused"
    client.post(choose, {"customer": "new"})
    transfer(integration)
    item.refresh_from_db()
    assert item.status == "done", item.last_error
    assert booked_on(agent, item).name == "Köparbolaget AB"


def test_no_customer_is_created_for_an_order_that_does_not_map(integration, shop, agent, prefix):
    email = f"omappad-{prefix}@example.se"
    shop.place(order_spec(customer_id=None, email=email, payment_method=f"Okänd-{prefix}"))
    [item] = transfer(integration)
    assert (item.status, item.reason) == ("parked", "needs_mapping")
    assert agent.client.find_customers(email=email) == []


def test_a_new_customer_is_created_once_when_its_order_is_refused_and_tried_again(
    integration, shop, agent, prefix
):
    """No e-mail and no organisation number, so no look-up finds the customer the first attempt
    made: only the agent's answer to the order's own key keeps the retry from a second one."""
    klarna = MethodMapping.objects.filter(
        integration=integration, kind="payment", shop_value="KlarnaCheckout"
    )
    code = klarna.get().visma_code
    klarna.update(visma_code="ZZ")  # a terms-of-payment code the company lacks: Visma refuses the document
    shop.place(order_spec(customer_id=None, email="", payment_method="KlarnaCheckout"))
    before = agent.counts()["customer"]
    [item] = transfer(integration)
    assert (item.status, item.reason) == ("parked", "needs_mapping"), item.last_error
    assert agent.counts()["customer"] == before + 1  # created before Visma refused the document
    assert not ExternalRef.objects.filter(integration=integration, kind="customer").exists()

    klarna.update(visma_code=code)
    transfer(integration)  # the fixed mapping puts the order back in the queue and it goes
    item.refresh_from_db()
    assert item.status == "done", item.last_error
    assert agent.counts()["customer"] == before + 1
    assert booked_on(agent, item).name == "Åsa Öberg"


def test_a_shop_customer_is_remembered_with_its_order_and_one_to_one(integration, shop, agent, prefix):
    """Two shop accounts with one e-mail: the second order finds the first account's customer by
    e-mail, but a Visma customer is remembered for one shop customer only."""
    email = f"tva-konton-{prefix}@example.se"
    first_id, second_id = random.sample(range(10_000, 99_999), 2)
    shop.place(order_spec(customer_id=first_id, email=email))
    [first] = transfer(integration)
    number = booked_on(agent, first).number
    refs = ExternalRef.objects.filter(integration=integration, kind="customer")
    assert list(refs.values_list("shop_id", "erp_id")) == [(f"{first.shop_id}:{first_id}", number)]

    shop.place(order_spec(customer_id=second_id, email=email))
    [second] = transfer(integration)
    assert second.status == "done" and booked_on(agent, second).number == number
    assert mapped_detail(second)["customer_how"] == "e-mail"
    assert list(refs.values_list("shop_id", "erp_id")) == [(f"{first.shop_id}:{first_id}", number)]
