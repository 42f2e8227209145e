"""The change log records who changed which configuration field, when, from what to what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sharespine.customers.models import ConfigChange
from tests.adminforms import integration_post
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db


def test_admin_edit_is_logged_field_by_field(client, consultant):
    integration = IntegrationFactory(name="Webshop", poll_orders=60)
    client.force_login(consultant)
    url = reverse("admin:flows_integration_change", args=[integration.pk])

    response = client.post(url, integration_post(integration, name="Webbutik", poll_orders="30"))

    assert response.status_code == 302
    changes = {c.field: c for c in ConfigChange.objects.filter(object_id=str(integration.pk))}
    assert set(changes) == {"name", "poll_orders"}
    assert (changes["name"].old_value, changes["name"].new_value) == ("Webshop", "Webbutik")
    assert (changes["poll_orders"].old_value, changes["poll_orders"].new_value) == ("60", "30")
    assert changes["name"].user == consultant
    assert changes["name"].customer == integration.customer
    assert changes["name"].action == ConfigChange.Action.CHANGED
    assert changes["name"].model == "flows.Integration"


def test_inline_rows_added_and_deleted_are_logged(client, consultant):
    integration = IntegrationFactory(customer__tier="400")
    client.force_login(consultant)
    url = reverse("admin:flows_integration_change", args=[integration.pk])
    rule = {"event": "delivered", "shop_status_id": "4", "send_email": "on"}
    assert client.post(url, integration_post(integration, {"status_rules": [rule]})).status_code == 302
    created = ConfigChange.objects.get(model="flows.StatusRule", field="shop_status_id")
    assert (created.action, created.new_value) == ("created", "4")

    rule_obj = integration.status_rules.get()
    data = integration_post(integration)
    data.update(
        {
            "status_rules-TOTAL_FORMS": "1",
            "status_rules-INITIAL_FORMS": "1",
            "status_rules-0-id": str(rule_obj.pk),
            "status_rules-0-integration": str(integration.pk),
            "status_rules-0-event": "delivered",
            "status_rules-0-shop_status_id": "4",
            "status_rules-0-DELETE": "on",
        }
    )
    assert client.post(url, data).status_code == 302
    assert not integration.status_rules.exists()
    assert ConfigChange.objects.filter(model="flows.StatusRule", action="deleted", old_value="4").exists()


def test_support_can_read_the_change_log_but_not_alter_it(client, support, consultant):
    integration = IntegrationFactory()
    client.force_login(consultant)
    client.post(
        reverse("admin:flows_integration_change", args=[integration.pk]),
        integration_post(integration, name="Annat"),
    )
    change = ConfigChange.objects.get(field="name")
    client.force_login(support)
    assert client.get(reverse("admin:customers_configchange_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:customers_configchange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ConfigChange.objects.filter(pk=change.pk).exists()
