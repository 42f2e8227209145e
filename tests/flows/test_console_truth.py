"""What the console says is true and tidy: no stale error on a done item, the currency on every
amount, empty polls rolled into one run, and a refused page logged without a traceback.

Orders go through the shop and Visma simulators; the pages are read through the admin.
"""

from __future__ import annotations

import html as html_lib
import logging

import pytest
from django.conf import settings
from django.urls import reverse

from flows.engine import runner
from flows.models import MethodMapping, SyncRun
from flows.modes import Flow
from tests.factories import user_in_group
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db


def read(client, user, url: str) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_an_item_that_went_through_after_the_fix_shows_no_stale_error(
    client, support, integration, shop, agent, prefix
):
    shop.place(order_spec(payment_method="Swish"))
    [item] = transfer(integration)
    page = reverse("admin:flows_syncitem_change", args=[item.pk])
    assert "'Swish' has no Visma code" in read(client, support, page)

    MethodMapping.objects.create(integration=integration, kind="payment", shop_value="Swish", visma_code="K")
    transfer(integration)
    item.refresh_from_db()
    assert item.status == "done" and item.last_error == ""
    assert "has no Visma code" not in read(client, support, page)
    journey = read(
        client, support, reverse("admin:flows_order_journey", args=[integration.pk, item.reference])
    )
    # The steps keep the parking in the order's history; the items table shows no current error.
    items_table = journey[journey.index("<h2>Sync items</h2>") :]
    assert "has no Visma code" not in items_table and 'id="attention-' not in journey


def test_a_norwegian_order_shows_its_amounts_in_nok(client, support, integration, shop, agent, prefix):
    shop.place(order_spec(channel_id=2, currency="NOK", culture="nb-NO"))
    [item] = transfer(integration)
    assert item.status == "done", item.last_error
    html = read(client, support, reverse("admin:flows_order_journey", args=[integration.pk, item.reference]))
    assert f"order {item.target_id}, total " in html
    total = html.split(f"order {item.target_id}, total ", 1)[1].split(")", 1)[0]
    assert total.split(" (")[0].endswith(" NOK"), total
    assert "öre rounding" in total and "öresavrundning" not in total and total.endswith("NOK")


def test_empty_polls_are_one_run_with_their_count(client, support, integration, shop, agent, prefix):
    for _poll in range(3):
        runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    runs = SyncRun.objects.filter(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    [rolled] = runs
    assert rolled.empty_polls == 3 and rolled.finished_at > rolled.started_at

    shop.place(order_spec())
    transfer(integration)
    runner.run_flow(integration.pk, Flow.SHOP_ORDERS_TO_VISMA)
    assert [(r.pulled, r.empty_polls) for r in runs.order_by("started_at")] == [(0, 3), (1, 0), (0, 1)]

    html = read(client, support, reverse("admin:flows_syncrun_changelist"))
    assert "nothing new in 3 polls" in html and "1 pulled, 1 new" in html


def test_a_refused_page_is_logged_without_a_traceback(client, integration, caplog):
    merchant = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    staff_without_rights = user_in_group("Support", staff=True, username="helper")
    client.force_login(staff_without_rights)
    caplog.set_level(logging.WARNING, logger="django.request")
    # Support may not add a mapping: an ordinary refusal.
    assert client.get(reverse("admin:flows_methodmapping_add")).status_code == 403
    client.force_login(merchant)
    assert client.get(reverse("admin:flows_attention_queue")).status_code in (302, 403)
    refused = [
        r for r in caplog.records if r.name == "django.request" and getattr(r, "status_code", 0) == 403
    ]
    assert refused, "the refusal is still logged"
    assert all(r.exc_info is None for r in refused)
    assert "Traceback" not in caplog.text
