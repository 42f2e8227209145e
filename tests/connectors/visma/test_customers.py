"""Customers: find by number, e-mail or organisation number; create, with Visma's checks."""

from __future__ import annotations

import uuid

import pytest

from connectors.errors import PermanentError
from connectors.visma import protocol as P


def test_find_by_number_email_and_org_number(client, unique):
    created = client.create_customer(
        P.CustomerInput(
            number=f"C{unique}",
            name="Sök Bolaget AB",
            email=f"inkop-{unique}@example.se",
            org_number="556036-0793",
            city="Malmö",
        ),
        uuid.uuid4().hex,
    )
    assert created.number == f"C{unique}" and created.warnings == []
    assert [c.name for c in client.find_customers(number=f"C{unique}")] == ["Sök Bolaget AB"]
    assert [c.number for c in client.find_customers(email=f"inkop-{unique}@example.se")] == [f"C{unique}"]
    by_org = [c.number for c in client.find_customers(org_number="556036-0793")]
    assert f"C{unique}" in by_org and "1002" in by_org  # the demo company's customer shares it
    assert client.find_customers(number=f"NONE{unique}") == []
    assert client.find_customers(email=f"none-{unique}@example.se") == []


def test_new_customers_take_the_next_number_of_the_series(client, unique):
    first = client.create_customer(P.CustomerInput(name=f"Auto {unique} A"), uuid.uuid4().hex)
    second = client.create_customer(P.CustomerInput(name=f"Auto {unique} B"), uuid.uuid4().hex)
    assert first.number.isdigit() and int(second.number) == int(first.number) + 1
    assert first.number not in {"1001", "1002", "1003"}  # the series skips numbers in use
    assert first.price_list == "1" and first.currency == "SEK"  # the company's defaults


@pytest.mark.parametrize(
    ("customer_case", "fields", "code"),
    [
        ("org_number_check_digit", {"org_number": "556036-0794"}, 108),
        ("unknown_price_list", {"price_list": "ZZ"}, 35),
        ("unknown_payment_terms", {"terms_of_payment": "ZZ"}, 41),
        ("unknown_currency", {"currency": "ZZZ"}, 43),
        ("number_taken", {"number": "1001"}, 214),
        ("number_too_long", {"number": "N" * 17}, 180),
    ],
)
def test_refused_customers_carry_the_visma_code(client, agent, unique, customer_case, fields, code):
    before = client.sim("GET", "counts")["customer"]
    with pytest.raises(PermanentError) as info:
        client.create_customer(P.CustomerInput(**({"name": f"Fel {unique}"} | fields)), uuid.uuid4().hex)
    assert info.value.code == code
    assert client.sim("GET", "counts")["customer"] == before


def test_org_number_check_can_be_waived(client, unique):
    created = client.create_customer(
        P.CustomerInput(
            number=f"W{unique}",
            name="Utländskt Bolag",
            org_number="DE123456789",
            ignore_org_number_check=True,
        ),
        uuid.uuid4().hex,
    )
    assert created.org_number == "DE123456789"


def test_a_repeat_under_the_same_key_answers_with_the_customer_it_made(client, unique):
    """The key names the order that brings the customer: a retry after a lost answer, or with
    details changed since, gets the first customer and writes nothing."""
    key = f"order-{unique}:customer"
    first = client.create_customer(P.CustomerInput(name=f"Gäst {unique}", city="Umeå"), key)
    before = client.sim("GET", "counts")["customer"]
    again = client.create_customer(P.CustomerInput(name=f"Gäst {unique}", city="Umeå"), key)
    changed = client.create_customer(P.CustomerInput(name=f"Gäst {unique} Ändrad"), key)
    assert again == first and changed.number == first.number and changed.name == f"Gäst {unique}"
    assert client.sim("GET", "counts")["customer"] == before
    other = client.create_customer(P.CustomerInput(name=f"Gäst {unique}", city="Umeå"), key + "-2")
    assert other.number != first.number


def test_a_customer_needs_a_key(client, unique):
    with pytest.raises(PermanentError, match="Idempotency-Key"):
        client._call("POST", "/v1/customers", body={"name": f"Utan nyckel {unique}"})
