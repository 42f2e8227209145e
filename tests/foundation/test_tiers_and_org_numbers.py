"""Organisation numbers and package gating, through the admin a consultant uses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from flows.engine import runner
from flows.engine.schedules import sync_schedules, task_name
from flows.models import (
    Channel,
    Integration,
    JetshopShop,
    PluginSetting,
    PriceListMapping,
    Rule,
    StatusRule,
    SyncRun,
)
from flows.models.config import FLOW_FEATURES
from flows.modes import FlowMode, flows_for
from sharespine.customers.models import Customer
from sharespine.customers.tiers import Tier
from tests.adminforms import integration_post, shop_post
from tests.factories import ChannelFactory, CustomerFactory, IntegrationFactory, JetshopShopFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("556036-0793", "556036-0793"),
        ("5560360793", "556036-0793"),
        ("16556036-0793", "556036-0793"),
        ("19121212-1212", "121212-1212"),
    ],
    ids=["dashed_case", "digits_only_case", "century_prefix_case", "personal_number_case"],
)
def test_valid_org_numbers_are_stored_normalised(value, stored):
    customer = Customer(name="Butik AB", org_number=value)
    customer.full_clean()
    assert customer.org_number == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("556036-0794", "check digit"),
        ("55603-0793", "NNNNNN-NNNN"),
        ("abcdef-ghij", "NNNNNN-NNNN"),
        ("", "This field cannot be blank"),
    ],
    ids=["wrong_check_digit_case", "too_short_case", "letters_case", "empty_case"],
)
def test_invalid_org_numbers_are_refused(value, message, settings):
    settings.LANGUAGE_CODE = "en"
    customer = Customer(name="Butik AB", org_number=value)
    with pytest.raises(ValidationError) as caught:
        customer.full_clean()
    assert message in " ".join(caught.value.message_dict["org_number"])


@pytest.fixture
def admin_client_en(client, consultant):
    client.force_login(consultant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _change_integration(client, integration, inlines=None, **changes):
    url = reverse("admin:flows_integration_change", args=[integration.pk])
    return client.post(url, integration_post(integration, inlines, **changes))


SHOP_ROW = {
    "name": "Norge",
    "endpoint_url": "https://no.example/Webservice20/v3.0/webservice.asmx",
    "username": "api",
    "password": "pw",
    "shop_id_header": "no",
    "cultures": "nb-NO",
}
GATED_CHANGES = {
    "price_lists": {
        "inlines": {
            "price_list_mappings": [
                {
                    "visma_price_list": "ÅF",
                    "jetshop_price_list_guid": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "includes_vat": "on",
                }
            ]
        }
    },
    "multishop": {"inlines": {"shops": [dict(SHOP_ROW, name="Sverige", shop_id_header="se"), SHOP_ROW]}},
    "order_status": {
        "inlines": {"status_rules": [{"event": "delivered", "shop_status_id": "4", "send_email": "on"}]}
    },
    "reconciliation": {"changes": {"reconciliation_enabled": "on"}},
    "plugins": {
        "inlines": {
            "rules": [
                {
                    "position": "1",
                    "kind": "set_field",
                    "enabled": "on",
                    "source": "payment_method",
                    "target": "text2",
                    "when_operator": "equals",
                    "row_price": "fixed",
                }
            ]  # fmt: skip
        }
    },
    "code_plugins": {
        "inlines": {
            "plugin_settings": [
                {
                    "position": "1",
                    "plugin": "order_note",
                    "enabled": "on",
                    "settings": '{"template": "Webborder {order_number}"}',
                }
            ]  # fmt: skip
        }
    },
}
NEEDED = {
    "price_lists": "400",
    "multishop": "400",
    "order_status": "400",
    "reconciliation": "400",
    "plugins": "800",
    "code_plugins": "800",
}
BELOW = {"400": Tier.T200, "800": Tier.T400}


def _saved(feature: str, integration: Integration) -> bool:
    return {
        "price_lists": lambda: PriceListMapping.objects.filter(integration=integration).exists(),
        "multishop": lambda: JetshopShop.objects.filter(integration=integration).count() == 2,
        "order_status": lambda: StatusRule.objects.filter(integration=integration).exists(),
        "reconciliation": lambda: Integration.objects.get(pk=integration.pk).reconciliation_enabled,
        "plugins": lambda: Rule.objects.filter(integration=integration, target="text2").exists(),
        "code_plugins": lambda: PluginSetting.objects.filter(integration=integration).exists(),
    }[feature]()


@pytest.mark.parametrize("feature", list(GATED_CHANGES), ids=[f"{f}_case" for f in GATED_CHANGES])
def test_gated_feature_is_refused_below_its_tier_with_the_tier_named(admin_client_en, feature):
    needed = NEEDED[feature]
    integration = IntegrationFactory(customer=CustomerFactory(tier=BELOW[needed]))
    change = GATED_CHANGES[feature]
    response = _change_integration(
        admin_client_en, integration, change.get("inlines"), **change.get("changes", {})
    )
    assert response.status_code == 200  # the form comes back with the error
    assert f"needs package {needed}" in response.content.decode()
    assert not _saved(feature, integration)


@pytest.mark.parametrize("feature", list(GATED_CHANGES), ids=[f"{f}_case" for f in GATED_CHANGES])
def test_gated_feature_is_allowed_at_its_tier(admin_client_en, feature):
    integration = IntegrationFactory(customer=CustomerFactory(tier=NEEDED[feature]))
    change = GATED_CHANGES[feature]
    response = _change_integration(
        admin_client_en, integration, change.get("inlines"), **change.get("changes", {})
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _saved(feature, integration)


def test_a_second_channel_on_another_shop_counts_as_multishop(admin_client_en):
    first = ChannelFactory(shop__integration__customer__tier=Tier.T200)
    second_shop = first.shop  # the same integration: one more channel makes two
    url = reverse("admin:flows_jetshopshop_change", args=[second_shop.pk])
    data = shop_post(second_shop, {"channels": []})
    data.update(
        {
            "channels-TOTAL_FORMS": "2",
            "channels-INITIAL_FORMS": "1",
            "channels-0-id": str(first.pk),
            "channels-0-shop": str(second_shop.pk),
            "channels-0-channel_id": first.channel_id,
            "channels-0-name": first.name,
            "channels-0-currency": "SEK",
            "channels-0-culture": "sv-SE",
            "channels-0-guest_rule": "email",
            "channels-1-channel_id": "2",
            "channels-1-name": "Norge",
            "channels-1-currency": "NOK",
            "channels-1-culture": "nb-NO",
            "channels-1-guest_rule": "email",
        }
    )
    response = admin_client_en.post(url, data)
    assert "needs package 400" in response.content.decode()
    assert Channel.objects.filter(shop__integration=second_shop.integration).count() == 1


def test_adding_a_second_shop_on_its_own_page_is_gated(admin_client_en):
    shop = JetshopShopFactory(integration__customer__tier=Tier.T200)
    data = shop_post(shop, integration=str(shop.integration_id), name="Andra", password="pw")
    response = admin_client_en.post(reverse("admin:flows_jetshopshop_add"), data)
    assert "needs package 400" in response.content.decode()
    assert JetshopShop.objects.filter(integration=shop.integration).count() == 1


def _change_tier(client, customer, tier: str):
    data = {
        "name": customer.name,
        "org_number": customer.org_number,
        "tier": tier,
        "contact_emails": customer.contact_emails,
        "active": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    return client.post(reverse("admin:customers_customer_change", args=[customer.pk]), data)


def test_package_cannot_be_lowered_below_what_the_configuration_uses(admin_client_en):
    integration = IntegrationFactory(customer=CustomerFactory(tier=Tier.T400))
    StatusRule.objects.create(integration=integration, event="delivered", shop_status_id=4)
    customer = integration.customer
    response = _change_tier(admin_client_en, customer, "200")
    assert "Order-status sync: needs package 400" in response.content.decode()
    customer.refresh_from_db()
    assert customer.tier == Tier.T400


@pytest.mark.parametrize("flow", list(FLOW_FEATURES), ids=[f"{f}_case" for f in FLOW_FEATURES])
def test_gated_flow_of_the_mode_runs_only_from_its_tier(admin_client_en, flow):
    """ERP mode lists order status and price lists, but below package 400 they are not run."""
    integration = IntegrationFactory(flow_mode=FlowMode.ERP, customer=CustomerFactory(tier=Tier.T200))
    assert flow in flows_for(FlowMode.ERP)
    assert flow not in integration.flows
    sync_schedules(integration)
    assert not PeriodicTask.objects.filter(name=task_name(integration.pk, flow)).exists()
    assert runner.run_flow(integration.pk, flow).run_id is None
    assert not SyncRun.objects.exists()
    page = admin_client_en.get(reverse("admin:flows_integration_change", args=[integration.pk]))
    assert f"{flow.label}: not run, needs package 400" in page.content.decode()

    # Raising the package in the admin schedules the flow.
    assert _change_tier(admin_client_en, integration.customer, "400").status_code == 302
    integration = Integration.objects.get(pk=integration.pk)
    assert flow in integration.flows
    assert PeriodicTask.objects.get(name=task_name(integration.pk, flow)).enabled
