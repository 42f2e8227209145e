"""Secret boxes on a form shown again after a validation error: what was typed stays typed, and the
page claims a stored value ("leave empty to keep", "Currently:") only when there is one."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from flows.models import Integration
from tests.adminforms import integration_post
from tests.factories import CustomerFactory, JetshopShopFactory

pytestmark = pytest.mark.django_db

KEEP = "Leave empty to keep the current value"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _new_integration_post(**changes) -> dict:
    customer = CustomerFactory(name="Ny Butik AB")
    agent = {"mode": "outbound", "key_id": "ny-nyckel", "secret": "agent-hemlighet-1"}
    shop = {
        "name": "Ny butik",
        "endpoint_url": "http://127.0.0.1:8010/Webservice20/v3.0/webservice.asmx",
        "username": "api",
        "password": "butik-lösen-1",
        "shop_id_header": "ny",
        "cultures": "sv-SE",
    }
    return integration_post(
        Integration(customer=customer, name="Ny"), inlines={"agent": [agent], "shops": [shop]}, **changes
    )


def _value_of(body: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', body)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def test_a_wrong_poll_interval_keeps_the_typed_secrets_and_the_next_save_succeeds(client, consultant):
    client.force_login(consultant)
    url = reverse("admin:flows_integration_add")
    data = _new_integration_post(poll_orders="5")

    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert _value_of(body, "agent-0-secret") == "agent-hemlighet-1"
    assert _value_of(body, "shops-0-password") == "butik-lösen-1"
    # Nothing is stored yet: no "keep the current value", no "Currently:" URL.
    assert KEEP not in body
    assert "Currently:" not in body

    # The consultant corrects the interval and posts the page as it was shown again.
    data["poll_orders"] = "60"
    data["agent-0-secret"] = _value_of(body, "agent-0-secret")
    data["shops-0-password"] = _value_of(body, "shops-0-password")
    assert client.post(url, data).status_code == 302
    integration = Integration.objects.get(name="Ny")
    assert integration.agent.secret.reveal() == "agent-hemlighet-1"
    assert integration.shops.get().password.reveal() == "butik-lösen-1"


def test_a_stored_secret_and_url_are_offered_to_keep_and_never_echoed(client, consultant):
    shop = JetshopShopFactory(password="lagrat-lösen", endpoint_url="http://127.0.0.1:8010/lagrad")
    client.force_login(consultant)
    body = client.get(reverse("admin:flows_jetshopshop_change", args=[shop.pk])).content.decode()
    assert KEEP in body
    assert 'Currently: <a href="http://127.0.0.1:8010/lagrad">' in body
    assert "lagrat-lösen" not in body
    assert _value_of(body, "password") is None
