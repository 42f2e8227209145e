"""An order Visma refused for a code it lacks (a payment method mapped to a terms-of-payment code
the company does not have) goes on by itself once the consultant corrects the mapping, as an
order waiting for a missing mapping does: no Retry, and in Visma exactly once. The consultant
fixes it from the work queue's link and lands back on the queue.

Orders really go through the shop and Visma simulators; the pages are the admin's."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.urls import reverse

from flows.models import MethodMapping, SyncItem
from tests.adminforms import _management, integration_post
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:flows_attention_queue")


def fix_link(client) -> str:
    page = html_lib.unescape(client.get(QUEUE).content.decode())
    found = re.search(r'<a class="fix" href="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def test_an_order_refused_for_a_code_visma_lacks_goes_on_once_the_mapping_is_corrected(
    client, consultant, integration, shop, agent
):
    # The consultant mapped Swish to "SW", a terms-of-payment code this Visma company does not have.
    swish = MethodMapping.objects.create(
        integration=integration, kind="payment", shop_value="Swish", visma_code="SW"
    )
    shop.place(order_spec(payment_method="Swish"), order_spec(payment_method="Swish", customer_id=502))
    items = transfer(integration)
    assert [(i.status, i.reason, i.result.get("kind"), i.result.get("value")) for i in items] == [
        ("parked", "needs_mapping", "terms-of-payment code", "SW")
    ] * 2
    transfer(integration)  # polls before the fix leave them parked (and send nothing to Visma)
    assert SyncItem.objects.filter(pk__in=[i.pk for i in items], status="parked").count() == 2

    # The queue's "Fix it" opens the integration page; saved, it returns to the queue.
    client.force_login(consultant)
    fix = fix_link(client)
    assert fix.startswith(reverse("admin:flows_integration_change", args=[integration.pk]))
    assert client.get(fix).status_code == 200
    data = integration_post(integration)
    row = {"id": swish.pk, "integration": integration.pk, "kind": "payment", "shop_value": "Swish",
           "visma_code": "K"}  # fmt: skip
    data.update(_management("method_mappings", [row], initial=1))
    response = client.post(fix, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == QUEUE
    swish.refresh_from_db()
    assert swish.visma_code == "K"

    transfer(integration)  # the next poll, no Retry clicked
    for item in items:
        item.refresh_from_db()
        assert item.status == "done", (item.status, item.last_error)
        assert [d.number for d in agent.documents(item.reference)] == [int(item.target_id)]
    transfer(integration)
    assert all(len(agent.documents(item.reference)) == 1 for item in items)


def test_a_refused_order_stays_parked_while_its_code_is_unchanged(integration, shop, agent):
    # Another mapping changed; this order's code did not: it is not sent to Visma to fail again.
    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="SW")
    shop.place(order_spec(payment_method="Swish"))
    [item] = transfer(integration)
    assert item.status == "parked"
    MethodMapping.objects.filter(integration=integration, shop_value="Invoice").update(visma_code="K")

    transfer(integration)

    item.refresh_from_db()
    assert (item.status, item.attempts) == ("parked", 1)


@pytest.mark.parametrize(
    "back, lands",
    [
        pytest.param(f"{QUEUE}?integration=1", f"{QUEUE}?integration=1", id="same_host"),
        pytest.param("https://evil.example/admin/", None, id="other_host"),
        pytest.param("//evil.example/", None, id="scheme_relative"),
    ],
)
def test_saving_the_integration_or_a_mapping_returns_only_to_a_page_of_this_site(
    client, consultant, integration, back, lands
):
    client.force_login(consultant)
    pages = {
        reverse("admin:flows_integration_change", args=[integration.pk]): (
            integration_post(integration),
            reverse("admin:flows_integration_changelist"),
        ),
        reverse("admin:flows_methodmapping_change", args=[integration.method_mappings.first().pk]): (
            {"integration": integration.pk, "kind": "payment", "shop_value": "Faktura", "visma_code": "F"},
            reverse("admin:flows_methodmapping_changelist"),
        ),
    }
    for url, (data, default) in pages.items():
        response = client.post(f"{url}?next={back}", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response.url == (lands or default), url
        # "Save and continue editing" stays on the form.
        response = client.post(f"{url}?next={back}", {**data, "_continue": "1"})
        assert response.url.startswith(url), url
