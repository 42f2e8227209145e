"""The change log records who changed which configuration fields, when, from what to what: one
entry per save, its fields named as the form names them."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from sharespine.customers.audit import changes
from sharespine.customers.models import ConfigChange
from tests.adminforms import integration_post
from tests.factories import CustomerFactory, IntegrationFactory

pytestmark = pytest.mark.django_db


def test_an_admin_save_is_one_entry_with_each_changed_field_by_name(client, consultant):
    integration = IntegrationFactory(name="Webshop", poll_orders=60)
    client.force_login(consultant)
    url = reverse("admin:flows_integration_change", args=[integration.pk])

    response = client.post(url, integration_post(integration, name="Webbutik", poll_orders="30"))

    assert response.status_code == 302
    [change] = ConfigChange.objects.filter(object_id=str(integration.pk))
    with translation.override("en"):
        poll_label = str(type(integration)._meta.get_field("poll_orders").verbose_name)
        logged = changes(change)
    assert sorted(logged) == sorted([("name", "Webshop", "Webbutik"), (poll_label, "60", "30")])
    assert change.user == consultant
    assert change.customer == integration.customer
    assert change.action == ConfigChange.Action.CHANGED
    assert change.model == "flows.Integration"

    # The log page names the fields as the form does, in the reader's language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("admin:customers_configchange_changelist")).content.decode()
    assert f"<th>{poll_label}</th><td>60</td><td>→</td><td>30</td>" in page
    assert "poll_orders" not in page


def test_a_new_merchant_is_one_entry_not_one_per_field(client, consultant):
    client.force_login(consultant)
    data = {"name": "Ny Handlare AB", "org_number": "5560360793", "tier": "100", "active": "on",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}  # fmt: skip
    response = client.post(reverse("admin:customers_customer_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = CustomerFactory._meta.model.objects.get(name="Ny Handlare AB")
    [created] = ConfigChange.objects.filter(model="customers.Customer", object_id=str(customer.pk))
    assert created.action == ConfigChange.Action.CREATED
    assert any("Ny Handlare AB" in new for _label, _old, new in changes(created))


def test_inline_rows_added_and_deleted_are_logged(client, consultant):
    integration = IntegrationFactory(customer__tier="400")
    client.force_login(consultant)
    url = reverse("admin:flows_integration_change", args=[integration.pk])
    rule = {"event": "delivered", "shop_status_id": "4", "send_email": "on"}
    assert client.post(url, integration_post(integration, {"status_rules": [rule]})).status_code == 302
    created = ConfigChange.objects.get(model="flows.StatusRule")
    label = str(integration.status_rules.model._meta.get_field("shop_status_id").verbose_name)
    assert created.action == "created" and (label, "", "4") in changes(created)

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
    deleted = ConfigChange.objects.get(model="flows.StatusRule", action="deleted")
    assert (label, "4", "") in changes(deleted)


def test_support_can_read_the_change_log_but_not_alter_it(client, support, consultant):
    integration = IntegrationFactory()
    client.force_login(consultant)
    client.post(
        reverse("admin:flows_integration_change", args=[integration.pk]),
        integration_post(integration, name="Annat"),
    )
    change = ConfigChange.objects.get(field="name")
    client.force_login(support)
    assert client.get(reverse("admin:customers_configchange_change", args=[change.pk])).status_code == 200
    assert client.get(reverse("admin:customers_configchange_changelist")).status_code == 200
    assert (
        client.post(
            reverse("admin:customers_configchange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert ConfigChange.objects.filter(pk=change.pk).exists()


def test_a_created_entry_shows_each_field_by_name_with_readable_values(client, consultant):
    # A new integration through the add page: its entry was a junk first row named after every
    # field at once, and the merchant as a number.
    customer = CustomerFactory(name="Egen Butik AB", tier="400")
    client.force_login(consultant)
    new = IntegrationFactory.build(customer=customer, name="Webbutik", flow_mode="erp", live=False)
    response = client.post(reverse("admin:flows_integration_add"), integration_post(new))
    assert response.status_code == 302, response.content.decode()[:3000]
    [created] = ConfigChange.objects.filter(model="flows.Integration", action="created")

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("admin:customers_configchange_change", args=[created.pk])).content.decode()

    rows = re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td><td>→</td><td>([^<]*)</td></tr>", page)
    by_name = {name: (old, new) for name, old, new in rows}
    assert all("," not in name for name in by_name), by_name
    assert by_name["merchant"] == ("", "Egen Butik AB")
    assert by_name["name"] == ("", "Webbutik")
    assert by_name["flow mode"] == ("", "ERP (Visma drives products, prices and stock)")
    assert by_name["live"] == ("", "no")
    assert str(customer.pk) not in {new for _old, new in by_name.values()}


def test_a_changed_link_shows_the_names_on_both_sides(client, consultant):
    before, after = CustomerFactory(name="Gamla AB"), CustomerFactory(name="Nya AB")
    integration = IntegrationFactory(customer=before)
    client.force_login(consultant)
    url = reverse("admin:flows_integration_change", args=[integration.pk])

    assert client.post(url, integration_post(integration, customer=str(after.pk))).status_code == 302

    [change] = ConfigChange.objects.filter(model="flows.Integration", action="changed")
    with translation.override("en"):
        assert changes(change) == [("merchant", "Gamla AB", "Nya AB")]
