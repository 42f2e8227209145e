"""The pages read in Swedish, codes and third-party pages included: read as each role reads them,
with the language cookie set to Swedish."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from flows.engine.schedules import sync_schedules
from flows.models import SyncRun, VismaAgent
from flows.modes import Flow
from tests.factories import user_in_group
from tests.flows.test_orders_flow import order_spec, transfer

pytestmark = pytest.mark.django_db


def swedish(client, user, url: str, **params) -> str:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    response = client.get(url, params)
    assert response.status_code == 200
    return html_lib.unescape(response.content.decode())


def test_the_schedule_and_lock_out_pages_read_in_swedish(client, consultant, integration):
    sync_schedules(integration)
    page = swedish(client, consultant, reverse("admin:django_celery_beat_periodictask_changelist"))
    assert "Schemalagda uppgifter" in page and "Periodic Tasks" not in page
    assert "Aktivera valda uppgifter" in page and "Enable selected tasks" not in page
    assert "Django" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)

    lockouts = swedish(client, consultant, reverse("admin:axes_accessattempt_changelist"))
    assert "inloggningsförsök" in lockouts.lower() and "Access attempts" not in lockouts


def test_reasons_run_logs_and_counts_read_in_swedish(client, support, integration, shop, agent, prefix):
    shop.place(order_spec(payment_method="Swish"), order_spec(payment_method="Swish"))
    transfer(integration)

    items = swedish(client, support, reverse("admin:flows_syncitem_changelist"))
    assert "saknad koppling eller artikel" in items, "the reason column and filter by name"
    assert "needs_mapping" not in re.sub(r'href="[^"]*"', "", items)

    run = SyncRun.objects.get(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
    page = swedish(client, support, reverse("admin:flows_syncrun_change", args=[run.pk]))
    assert "Demobutiken: 2 ordrar med status 1" in page
    assert "bearbetade: 2 kräver åtgärd" in page and "order(s)" not in page
    item = run.items.first()
    item_page = swedish(client, support, reverse("admin:flows_syncitem_change", args=[item.pk]))
    assert "Körning:" in item_page and "Run:" not in item_page

    queue = swedish(client, support, reverse("admin:flows_attention_queue"))
    assert "2 ordrar: Betalsättet Swish är inte kopplat" in queue and "konsulten" in queue


def test_the_dashboard_says_just_now_not_zero_minutes_ago(client, integration):
    VismaAgent.objects.filter(integration=integration).update(last_seen_at=timezone.now())
    owner = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    page = swedish(client, owner, reverse("dashboard:integration", args=[integration.pk]))
    assert "sedd nyss" in page and "0 minuter" not in page
