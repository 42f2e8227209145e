"""Secrets at rest: encrypted in the database, write-only in the admin, absent from the change log."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.urls import reverse

from flows.models import JetshopShop, VismaAgent
from sharespine.customers.audit import changes
from sharespine.customers.models import ConfigChange
from sharespine.logredact import RedactingFormatter
from tests.adminforms import shop_post
from tests.factories import JetshopShopFactory, VismaAgentFactory

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_database_rows_hold_no_plaintext_and_read_back_decrypted():
    shop = JetshopShopFactory(password="Hemligt-lösen-123")
    agent = VismaAgentFactory(secret="agent-hmac-secret-xyz")
    stored_password = _raw("flows_jetshopshop", "password", shop.pk)
    stored_secret = _raw("flows_vismaagent", "secret", agent.pk)
    assert "Hemligt" not in stored_password and stored_password.startswith("fernet:")
    assert "agent-hmac" not in stored_secret and stored_secret.startswith("fernet:")
    assert JetshopShop.objects.get(pk=shop.pk).password.reveal() == "Hemligt-lösen-123"
    assert VismaAgent.objects.get(pk=agent.pk).secret.reveal() == "agent-hmac-secret-xyz"
    # A stray log line or repr shows nothing.
    assert "Hemligt" not in repr(JetshopShop.objects.get(pk=shop.pk).password)
    assert "Hemligt" not in f"{JetshopShop.objects.get(pk=shop.pk).password}"


@pytest.mark.parametrize("role", ["consultant", "support"])
def test_admin_pages_never_render_a_saved_secret(client, role, request):
    """Consultants get an empty password box; support's read-only page shows ***."""
    shop = JetshopShopFactory(password="Hemligt-lösen-123")
    VismaAgentFactory(integration=shop.integration, secret="agent-hmac-secret-xyz")
    client.force_login(request.getfixturevalue(role))
    pages = [
        reverse("admin:flows_jetshopshop_change", args=[shop.pk]),
        reverse("admin:flows_integration_change", args=[shop.integration.pk]),
        reverse("admin:flows_vismaagent_change", args=[shop.integration.agent.pk]),
        reverse("admin:flows_jetshopshop_changelist"),
        reverse("admin:flows_vismaagent_changelist"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "Hemligt" not in body, url
        assert "agent-hmac-secret" not in body, url
        assert "fernet:" not in body, url


def test_empty_password_box_keeps_the_secret_and_a_new_one_replaces_it(client, consultant):
    shop = JetshopShopFactory(password="first-secret")
    client.force_login(consultant)
    url = reverse("admin:flows_jetshopshop_change", args=[shop.pk])

    assert client.post(url, shop_post(shop, name="Renamed")).status_code == 302
    shop.refresh_from_db()
    assert (shop.name, shop.password.reveal()) == ("Renamed", "first-secret")
    assert not ConfigChange.objects.filter(field="password").exists()

    assert client.post(url, shop_post(shop, password="second-secret")).status_code == 302
    shop.refresh_from_db()
    assert shop.password.reveal() == "second-secret"
    change = ConfigChange.objects.get(field="password")
    assert [(old, new) for _label, old, new in changes(change)] == [("***", "*** (changed)")]
    assert "secret" not in change.old_value + change.new_value


def test_log_output_redacts_secrets_in_messages_and_tracebacks(caplog):
    """settings.LOGGING's formatter (web, worker and beat) hides credentials wherever they appear."""
    formatters = [h.formatter for h in logging.getLogger().handlers]
    formatter = next(f for f in formatters if isinstance(f, RedactingFormatter))
    log = logging.getLogger("flows.test")
    try:
        raise ConnectionError("POST https://api:Lösen-9@shop.example/ws failed, body token=abc123")
    except ConnectionError:
        log.exception("agent said %s", {"secret": "hmac-xyz", "password": "pw-1"})
    text = formatter.format(caplog.records[-1])
    for secret in ("Lösen-9", "abc123", "hmac-xyz", "pw-1"):
        assert secret not in text
    assert "https://***@shop.example" in text and "Traceback" in text
