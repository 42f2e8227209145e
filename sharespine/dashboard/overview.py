"""The staff overview in the console: every merchant's orders, backlog, flow health and payouts in
pictures, and the integrations with orders waiting. Consultants and support see it (``roles.PAGES``)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from flows.models import Integration, SyncItem
from flows.modes import Flow
from sharespine.customers.roles import PAGES
from sharespine.dashboard.charts import OPEN, pictures
from sharespine.dashboard.views import refresh_seconds

WAITING_SHOWN = 20


def waiting_by_integration() -> list[dict]:
    """The integrations with the most orders needing attention, then waiting (one GROUP BY)."""
    rows = (
        SyncItem.objects.filter(flow=Flow.SHOP_ORDERS_TO_VISMA, status__in=OPEN)
        .values("integration")
        .annotate(
            attention=Count("id", filter=Q(status__in=SyncItem.ATTENTION)),
            waiting=Count("id", filter=~Q(status__in=SyncItem.ATTENTION)),
        )
        .order_by("-attention", "-waiting")[:WAITING_SHOWN]
    )
    names = Integration.objects.select_related("customer").in_bulk([row["integration"] for row in rows])
    return [{**row, "integration": names[row["integration"]]} for row in rows]


def overview(request):
    if not request.user.has_perm(PAGES["admin:overview"]):
        raise PermissionDenied
    integrations = Integration.objects.all()
    context = {
        **admin.site.each_context(request),
        "title": _("Charts, all merchants"),
        "pictures": pictures(integrations, payouts=integrations.filter(reconciliation_enabled=True).exists()),
        "waiting": waiting_by_integration(),
        "refresh_seconds": refresh_seconds(),
    }
    return render(request, "admin/overview.html", context)
