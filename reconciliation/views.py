"""The three-way close as CSV, for the merchant (their own integrations only) and staff."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from flows.models import Integration
from sharespine.customers.models import Customer

from .close import daily_close, to_csv


@login_required
def close_csv(request, pk: int, day: str):
    integration = get_object_or_404(
        Integration.objects.filter(
            customer__in=Customer.objects.visible_to(request.user), reconciliation_enabled=True
        ),
        pk=pk,
    )
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    response = HttpResponse(to_csv(daily_close(integration, when)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="close-{integration.pk}-{when.isoformat()}.csv"'
    return response
