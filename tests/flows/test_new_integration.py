"""A new integration starts switched off: a half-done set-up pulls no orders and raises no alarm."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from flows.models import Integration
from tests.adminforms import integration_post
from tests.factories import CustomerFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def _enabled_box(body: str) -> str:
    tag = re.search(r'<input[^>]*name="enabled"[^>]*>', body)
    assert tag
    return tag.group(0)


def test_the_add_page_starts_switched_off_and_says_how_to_start(client, consultant):
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("admin:flows_integration_add")).content.decode()
    assert "checked" not in _enabled_box(body)
    assert "run the go-live check, then tick this to start the schedules" in body

    # Saved as the page offers it (an unticked box is not posted): no schedule runs, the agent's
    # heartbeat included.
    data = integration_post(
        Integration(customer=CustomerFactory(), name="Ny", enabled=False),
        inlines={"agent": [{"mode": "outbound", "key_id": "ny", "secret": "s3cret"}]},
    )
    assert client.post(reverse("admin:flows_integration_add"), data).status_code == 302
    integration = Integration.objects.get(name="Ny")
    assert not integration.enabled
    tasks = PeriodicTask.objects.filter(name__startswith=f"flow:{integration.pk}:")
    assert tasks.exists() and not tasks.filter(enabled=True).exists()


def test_an_existing_enabled_integration_stays_enabled(client, consultant):
    integration = IntegrationFactory()
    assert integration.enabled
    client.force_login(consultant)
    body = client.get(reverse("admin:flows_integration_change", args=[integration.pk])).content.decode()
    assert "checked" in _enabled_box(body)
