"""The merchant's status dashboard; staff see every merchant, a merchant user only their own.

Objects of another merchant answer 404, so a merchant cannot even learn that they exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from flows.engine import heartbeats
from flows.models import Integration
from reconciliation.dashboard import payouts_section
from sharespine.customers.models import Customer
from sharespine.dashboard.charts import pictures
from sharespine.dashboard.status import integration_status
from sharespine.metering import usage
from sharespine.metering.models import Kind

USAGE_MONTHS = 6


def refresh_seconds() -> int:
    """How often a dashboard page fetches itself again (0: never)."""
    return getattr(settings, "DASHBOARD_REFRESH_SECONDS", 60)


def _integrations_visible_to(user):
    return Integration.objects.filter(customer__in=Customer.objects.visible_to(user)).select_related(
        "customer", "agent"
    )


@login_required
def home(request):
    customers = Customer.objects.visible_to(request.user).prefetch_related("integrations__agent")
    context: dict[str, Any] = {"customers": customers, "refresh_seconds": refresh_seconds()}
    if request.user.is_staff:
        context["heartbeats"] = heartbeats.read_all()
    return render(request, "dashboard/home.html", context)


@login_required
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    integrations = _integrations_visible_to(request.user).filter(customer=customer)
    return render(
        request,
        "dashboard/customer.html",
        {
            "customer": customer,
            "integrations": integrations,
            # What the price model bills, this month and the months before (the merchant's own).
            "usage": usage.history(customer, USAGE_MONTHS),
            "usage_kinds": [Kind(k).label for k in usage.KINDS],
        },
    )


@login_required
def integration_detail(request, pk: int):
    integration = get_object_or_404(_integrations_visible_to(request.user), pk=pk)
    shops = integration.shops.prefetch_related("channels")
    return render(
        request,
        "dashboard/integration.html",
        {
            "integration": integration,
            "shops": shops,
            "agent": getattr(integration, "agent", None),
            "status": integration_status(integration),
            # Support (staff with the console) get a link from each problem to the order's page.
            "console": request.user.has_perm("flows.view_syncitem"),
            "payouts": payouts_section(integration),
            "pictures": pictures(
                Integration.objects.filter(pk=integration.pk), payouts=integration.reconciliation_enabled
            ),
            "refresh_seconds": refresh_seconds(),
        },
    )
