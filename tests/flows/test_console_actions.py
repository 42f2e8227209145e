"""Every link and button on the integration page, its go-live page and the rules-and-plugins
preview is one the reader's role may use: support, who reads configuration, is not offered an
import (or any action) that answers 403."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from flows.demo.setup import ShopSpec, configure
from flows.models import Integration, SyncItem
from flows.modes import Flow
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SKIPPED = ("/admin/logout/",)


def merchant_integration() -> Integration:
    integration = configure(
        CustomerFactory(tier="800"),
        shops=[ShopSpec("Demobutiken", "http://127.0.0.1:9/Webservice20/v3.0/webservice.asmx")],
        key_id="k",
        secret="s",
    )
    SyncItem.objects.create(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, source_id="1", status="parked"
    )
    return integration


def links(page: str) -> set[str]:
    return {unescape(h) for h in re.findall(r'href="(/admin/[^"#]*)"', page)} - set(SKIPPED)


def forms(page: str) -> set[str]:
    """The targets of the page's POST forms that lead elsewhere (its own save form has no action)."""
    actions = re.findall(r'<form[^>]*method="post"[^>]*action="(/admin/[^"]*)"', page, flags=re.I)
    return {unescape(action) for action in actions} - set(SKIPPED)


@pytest.mark.parametrize("role", ["consultant", "support"])
def test_no_link_or_button_on_the_integration_pages_leads_to_a_refusal(client, role, request):
    user = request.getfixturevalue(role)
    integration = merchant_integration()
    client.force_login(user)
    pages = [
        reverse("admin:flows_integration_changelist"),
        reverse("admin:flows_integration_change", args=[integration.pk]),
        reverse("admin:flows_integration_golive", args=[integration.pk]),
        reverse("admin:flows_integration_preview", args=[integration.pk]),
    ]
    refused, offered = [], set()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        offered |= links(page)
        for link in sorted(links(page)):
            if client.get(link).status_code == 403:
                refused.append(("link", url, link))
        for action in sorted(forms(page)):
            if client.post(action, {}).status_code == 403:
                refused.append(("button", url, action))
    assert refused == []

    # What each role may use is still offered: preview and export to both, import to consultants.
    rules = {
        name: reverse(f"admin:flows_integration_{name}", args=[integration.pk])
        for name in ("preview", "export", "import", "golive")
    }
    assert {rules["preview"], rules["export"], rules["golive"]} <= offered
    assert (rules["import"] in offered) == (role == "consultant")
