"""The payout and bank upload pages say why the integration list is empty and where to fix it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import CustomerFactory, IntegrationFactory

pytestmark = pytest.mark.django_db

HOW = "Only integrations with reconciliation switched on are listed"


@pytest.mark.parametrize("page", ["admin:reconciliation_payout_upload", "admin:reconciliation_payout_bank"])
def test_an_empty_integration_list_says_where_reconciliation_is_switched_on(client, consultant, page):
    integration = IntegrationFactory(customer=CustomerFactory(tier="400"), reconciliation_enabled=False)
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse(page)).content.decode()
    assert "No integration has reconciliation yet." in body
    assert HOW in body and "reconciliation of PSP payouts" in body
    assert f'href="{reverse("admin:flows_integration_changelist")}"' in body

    integration.reconciliation_enabled = True
    integration.save()
    body = client.get(reverse(page)).content.decode()
    assert "No integration has reconciliation yet." not in body
    assert HOW in body and str(integration) in body
