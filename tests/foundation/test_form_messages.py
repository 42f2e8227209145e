"""One bound and one true message per problem on the consultants' forms."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from flows.models import Integration
from sharespine.customers.models import Customer
from tests.adminforms import integration_post
from tests.factories import CustomerFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_en(client, consultant):
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _errors(body: str) -> list[str]:
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body)
    return re.findall(r"<li>([^<]*)</li>", "".join(lists))


@pytest.mark.parametrize("interval", ["-5", "0", "9"])
def test_a_poll_interval_below_ten_is_refused_with_the_real_bound_in_box_and_message(client_en, interval):
    customer = CustomerFactory()
    data = integration_post(Integration(customer=customer, name="Ny"), poll_orders=interval)
    response = client_en.post(reverse("admin:flows_integration_add"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert _errors(body) == ["Ensure this value is greater than or equal to 10."]
    assert re.search(r'<input[^>]*name="poll_orders"[^>]*min="10"', body)


def test_a_too_long_fixed_value_gets_only_the_length_message(client_en):
    integration = IntegrationFactory(customer=CustomerFactory(tier="800"))
    rule = {
        "position": "1",
        "kind": "set_field",
        "enabled": "on",
        "source": "fixed",
        "target": "text2",
        "value": "x" * 305,
        "when_operator": "equals",
        "row_price": "fixed",
    }
    url = reverse("admin:flows_integration_change", args=[integration.pk])
    response = client_en.post(url, integration_post(integration, inlines={"rules": [rule]}))
    assert response.status_code == 200
    assert _errors(response.content.decode()) == [
        "Ensure this value has at most 200 characters (it has 305)."
    ]


def test_an_invalid_org_number_is_said_once_and_a_duplicate_reads_as_a_sentence(client_en):
    url = reverse("admin:customers_customer_add")
    data = {"name": "Ny AB", "tier": "200", "active": "on", "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000"}  # fmt: skip
    response = client_en.post(url, dict(data, org_number="556800-7538"))
    assert _errors(response.content.decode()) == [
        "556800-7538 is not a valid organisation number: the check digit does not match."
    ]
    existing = CustomerFactory()
    response = client_en.post(url, dict(data, org_number=existing.org_number))
    assert _errors(response.content.decode()) == ["A merchant with this organisation number already exists."]
    assert Customer.objects.count() == 1
