"""Roles: consultants edit, support reads, merchant users see only their own merchant."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import FieldError
from django.urls import reverse

from flows.models import Integration, JetshopShop, VismaAgent
from sharespine.customers.models import ConfigChange, Customer
from sharespine.dashboard import urls as dashboard_urls
from tests.adminforms import integration_post
from tests.factories import ChannelFactory, CustomerFactory, IntegrationFactory, VismaAgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_merchant_objects(db):
    """Another merchant with one object of every configuration model."""
    channel = ChannelFactory(shop__integration__customer=CustomerFactory(name="Annan Butik AB"))
    integration = channel.shop.integration
    VismaAgentFactory(integration=integration)
    integration.status_rules.create(event="delivered", shop_status_id=4)
    integration.price_list_mappings.create(
        visma_price_list="ÅF", jetshop_price_list_guid="0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    channel.shop.order_triggers.create(status_id=1, name="Mottagen")
    return integration.customer


def _admin_urls_for(customer: Customer) -> list[str]:
    """Every admin URL that exists for every registered model, pointed at ``customer``'s objects."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [reverse(f"admin:{info[0]}_{info[1]}_changelist"), reverse(f"admin:{info[0]}_{info[1]}_add")]
        for obj in _objects_of(model, customer):
            for view in ("change", "delete", "history"):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]))
    return urls


def _objects_of(model, customer: Customer) -> list:
    """``customer``'s objects of ``model``; none for models that belong to no merchant (users, groups)."""
    if model is Customer:
        return [customer]
    for path in ("customer", "integration__customer", "shop__integration__customer"):
        try:
            return list(model._default_manager.filter(**{path: customer}))
        except FieldError:
            continue
    return []


def test_merchant_user_gets_403_or_404_on_every_admin_url(client, merchant, other_merchant_objects):
    client.force_login(merchant)
    urls = _admin_urls_for(other_merchant_objects)
    assert len(urls) > 20
    for url in urls:
        assert client.get(url).status_code in (403, 404), url
        assert client.post(url, {}).status_code in (403, 404), url


def _dashboard_urls_for(customer: Customer) -> dict[str, str]:
    """Every dashboard URL, pointed at ``customer``'s objects. A new URL must be added to ``objects``."""
    objects = {"customer": customer, "integration": customer.integrations.get()}
    urls = {}
    for pattern in dashboard_urls.urlpatterns:
        takes = set(pattern.pattern.converters)
        if not takes:
            urls[pattern.name] = reverse(f"dashboard:{pattern.name}")
            continue
        assert takes == {"pk"} and pattern.name in objects, f"teach this test dashboard:{pattern.name}"
        urls[pattern.name] = reverse(f"dashboard:{pattern.name}", args=[objects[pattern.name].pk])
    return urls


def test_merchant_user_sees_only_their_own_merchant_on_the_dashboard(
    client, merchant, other_merchant_objects
):
    IntegrationFactory(customer=merchant.memberships.get().customer, name="Egen")
    client.force_login(merchant)
    own = _dashboard_urls_for(merchant.memberships.get().customer)
    other = _dashboard_urls_for(other_merchant_objects)

    for url in own.values():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Annan Butik AB" not in response.content.decode(), url
    assert "Egen Butik AB" in client.get(own["home"]).content.decode()
    for url in other.values():
        if url not in own.values():
            assert client.get(url).status_code in (403, 404), url


def test_anonymous_visitors_are_sent_to_log_in(client, other_merchant_objects):
    response = client.get(reverse("dashboard:customer", args=[other_merchant_objects.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_support_cannot_add_change_or_delete_anything_in_the_admin(client, support, other_merchant_objects):
    client.force_login(support)
    checked = set()
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{info}_add")).status_code == 403, info
        assert client.post(reverse(f"{info}_add"), {}).status_code == 403, info
        for obj in _objects_of(model, other_merchant_objects):
            for view in ("change", "delete"):
                response = client.post(reverse(f"{info}_{view}", args=[obj.pk]), {"post": "yes"})
                assert response.status_code == 403, (info, view)
            assert model._default_manager.filter(pk=obj.pk).exists()
            checked.add(model)
    # Channels, triggers, rules and mappings are inlines of these pages.
    assert checked >= {Customer, Integration, JetshopShop, VismaAgent}
    assert not ConfigChange.objects.exists()


def test_support_reads_everything_but_cannot_edit_configuration(client, support, other_merchant_objects):
    integration = other_merchant_objects.integrations.get()
    client.force_login(support)
    change_url = reverse("admin:flows_integration_change", args=[integration.pk])
    assert client.get(change_url).status_code == 200
    assert client.get(reverse("dashboard:integration", args=[integration.pk])).status_code == 200

    response = client.post(change_url, integration_post(integration, name="Hijacked"))
    assert response.status_code == 403
    integration.refresh_from_db()
    assert integration.name != "Hijacked"
    assert client.get(reverse("admin:flows_integration_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:flows_integration_delete", args=[integration.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:customers_customer_delete", args=[other_merchant_objects.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Customer.objects.filter(pk=other_merchant_objects.pk).exists()


def test_consultant_edits_any_merchant(client, consultant, other_merchant_objects):
    integration = other_merchant_objects.integrations.get()
    integration.status_rules.all().delete()
    integration.price_list_mappings.all().delete()
    integration.agent.delete()
    client.force_login(consultant)
    response = client.post(
        reverse("admin:flows_integration_change", args=[integration.pk]),
        integration_post(integration, name="Ny"),
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Ny"
