"""The dashboard's and the staff overview's charts: the numbers behind each picture, the scope
(a merchant's charts count only their own orders), and a bounded number of queries."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from flows.models import Integration, SyncItem, SyncRun
from flows.modes import Flow
from reconciliation.models import Payout
from sharespine.dashboard.charts import (
    DAY,
    LABEL_CHARS,
    MONTH,
    Chart,
    flow_health_chart,
    order_charts,
    payouts_chart,
)
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

# A fixed "now" 40 minutes into an hour, so "10 minutes ago" is in the same hour.
NOW = timezone.localtime().replace(minute=40, second=0, microsecond=0)


def order(
    integration,
    ref: str,
    *,
    created: timedelta,
    status: str = "queued",
    left: timedelta | None = None,
    target: str = "",
):
    item = SyncItem.objects.create(
        integration=integration,
        flow=Flow.SHOP_ORDERS_TO_VISMA,
        source_id=ref,
        reference=ref,
        status=status,
        target_id=target,
    )
    SyncItem.objects.filter(pk=item.pk).update(created_at=NOW - created, updated_at=NOW - (left or created))
    return item


def only(integration: Integration):
    return Integration.objects.filter(pk=integration.pk)


def test_orders_in_visma_and_the_backlog_per_hour():
    integration = IntegrationFactory()
    order(integration, "A", created=timedelta(hours=3), status="done", left=timedelta(hours=2), target="5001")
    order(integration, "B", created=timedelta(hours=2))
    order(integration, "C", created=timedelta(hours=1), status="parked")
    order(integration, "D", created=timedelta(minutes=30), status="skipped", left=timedelta(minutes=10))
    order(IntegrationFactory(), "other merchant", created=timedelta(minutes=5))

    orders, backlog = order_charts(only(integration), DAY, NOW)

    received, in_visma = (values for _name, values in orders.series)
    assert received[-4:] == [1, 1, 1, 1] and sum(received) == 4
    assert in_visma[-4:] == [0, 1, 0, 0] and sum(in_visma) == 1
    # End of each hour: A waits until it reaches Visma; B and C still wait; D was skipped.
    assert backlog.series[0][1][-5:] == [0, 1, 1, 2, 2]
    assert orders.labels[-1] == NOW.strftime("%H:00")
    assert len(orders.labels) == 24

    month_orders, month_backlog = order_charts(only(integration), MONTH, NOW)
    assert len(month_orders.labels) == 30
    # Days as each language writes them: "4 nov" in Swedish, "4 Nov" in English.
    today = timezone.localtime(NOW)
    month = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"][
        today.month - 1
    ]
    with translation.override("sv"):
        assert order_charts(only(integration), MONTH, NOW)[0].labels[-1] == f"{today.day} {month}"
    with translation.override("en"):
        assert order_charts(only(integration), MONTH, NOW)[0].labels[-1] == today.strftime("%-d %b")
    assert sum(month_orders.series[0][1]) == 4 and month_backlog.series[0][1][-1] == 2


def test_flow_health_counts_finished_runs_of_the_last_24_hours():
    integration = IntegrationFactory()
    for status in ["succeeded", "succeeded", "failed", "partial", "running"]:
        SyncRun.objects.create(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status=status)
    old = SyncRun.objects.create(integration=integration, flow=Flow.VISMA_STOCK_TO_SHOP, status="failed")
    SyncRun.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(hours=25))

    chart = flow_health_chart(only(integration), timezone.now())

    assert chart.labels == [str(Flow.SHOP_ORDERS_TO_VISMA.label)]
    assert [values for _name, values in chart.series] == [[2], [1], [1]]


def test_payouts_per_day_by_status():
    integration = IntegrationFactory()
    today = timezone.localdate()
    for ref, status, day in [
        ("P1", "posted", today),
        ("P2", "held", today),
        ("P3", "open", today - timedelta(days=40)),
    ]:
        Payout.objects.create(
            integration=integration,
            provider="klarna",
            reference=ref,
            payout_date=day,
            status=status,
            stated_total=Decimal("100.00"),
        )

    chart = payouts_chart(only(integration), timezone.now())

    by_name = {name: values for name, values in chart.series}
    assert [by_name[name][-1] for name in by_name] == [1, 0, 0, 1]  # posted, matched, to match, held
    assert sum(sum(values) for values in by_name.values()) == 2


def test_merchant_sees_charts_of_their_own_orders_only(client_for, merchant, merchant_customer):
    own = IntegrationFactory(customer=merchant_customer)
    order(own, "own", created=timedelta(minutes=5))
    order(IntegrationFactory(), "other", created=timedelta(minutes=5))

    page = client_for(merchant).get(reverse("dashboard:integration", args=[own.pk])).content.decode()

    assert 'id="chart-orders-24h" data-has-data="1"' in page
    assert (
        "<svg" in page
        and 'role="img"' in page
        and "<script" not in page.split('id="pictures"')[1].split("</section>")[0]
    )
    assert "Order per timme, senaste 24 timmarna" in page
    assert client_for(merchant).get(reverse("admin:overview")).status_code == 403


def test_staff_overview_counts_every_merchant_in_a_fixed_number_of_queries(client_for, support, consultant):
    client = client_for(support)

    def page_queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:overview"))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    first = IntegrationFactory(name="Första")
    order(first, "1", created=timedelta(minutes=5), status="parked")
    few, page = page_queries()
    assert "Första" in page and "Kräver åtgärd" in page
    for n in range(5):
        order(IntegrationFactory(name=f"Butik {n}"), f"x{n}", created=timedelta(minutes=5))
    many, page = page_queries()
    assert many == few
    assert page.count('data-has-data="1"') >= 2
    assert client_for(consultant).get(reverse("admin:overview")).status_code == 200


def axis_labels(svg: str) -> list[tuple[str, str]]:
    """Each category label of a horizontal chart with its tooltip, as a browser would show them."""
    axis = svg.split('class="axis y always_show"')[1].split('class="axis x')[0]
    return re.findall(r'<text x="-5"[^>]*>([^<]*)</text><title>([^<]*)</title>', axis)


def test_flow_runs_chart_keeps_the_bars_wide_with_every_flow_named(
    client_for, support, merchant, merchant_customer
):
    # Every flow ran for one merchant: the longest Swedish flow name is 70 characters, and drawn
    # in full it left the bars a sliver at the right edge and squeezed the legend to overlap.
    own = IntegrationFactory(customer=merchant_customer)
    for flow in Flow:
        SyncRun.objects.create(integration=own, flow=flow, status="succeeded")
        SyncRun.objects.create(integration=own, flow=flow, status="partial")
    with translation.override("sv"):
        full_names = {str(flow.label) for flow in Flow}
    pages = {
        "overview": client_for(support).get(reverse("admin:overview")),
        "dashboard": client_for(merchant).get(reverse("dashboard:integration", args=[own.pk])),
    }

    for page, response in pages.items():
        assert response.status_code == 200, page
        figure = response.content.decode().split('id="chart-flow-health"')[1].split("</figure>")[0]
        svg = figure.split("<svg", 1)[1].split("</svg>")[0]
        labels = axis_labels(svg)
        assert {tooltip for _shown, tooltip in labels} == full_names, page
        assert all(len(shown) <= LABEL_CHARS for shown, _tooltip in labels), (page, labels)
        width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])
        plot_left = float(re.search(r'transform="translate\(([\d.]+), [\d.]+\)" class="plot"', svg)[1])
        assert plot_left < width * 0.35, (page, plot_left)  # the bars keep most of the width
        legend = re.findall(r"<text[^>]*>([^<]*)</text>", svg.split('class="legends"')[1])
        assert legend == ["Lyckades", "Vissa poster kräver åtgärd", "Misslyckades"], page
        # The table of numbers names each flow in full.
        assert all(name in figure for name in full_names), page


def test_a_long_name_on_a_horizontal_chart_ends_in_an_ellipsis_with_the_name_as_tooltip():
    name = "Integration för Norrlands Sport & Fritid AB (NO)"
    chart = Chart("c", "t", [name, "Kort"], [("n", [1, 2])], "x", kind="hbar")

    assert axis_labels(chart.svg) == [
        ("Integration för Norrl…", "Integration för Norrlands Sport &amp; Fritid AB (NO)"),
        ("Kort", "Kort"),
    ]
