"""The integration's go-live page: the check (run by consultant or support, kept with its time),
the lists read from Visma and the shops, and the orders the look-back window leaves out."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from flows import golive, livechoices, older_orders
from flows.console.access import integration_for
from flows.engine import dispatch
from flows.models import GoLiveCheck, Integration, JetshopShop, LiveChoices, OlderOrders
from flows.modes import QUEUE_BY_FLOW, Flow

VIEW = "flows.view_integration"  # every page here belongs to the integration
RUN = "flows.run_golivecheck"
FETCH = "flows.fetch_olderorders"
REFRESH = "flows.change_integration"  # the lists serve the configuration forms
MAX_FETCH_DAYS = 366


class FetchOlderForm(forms.Form):
    shop = forms.IntegerField(widget=forms.HiddenInput)
    since = forms.DateField(
        label=gettext_lazy("Fetch orders placed since"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_since(self) -> datetime.date:
        since = self.cleaned_data["since"]
        today = localtime().date()
        if since > today:
            raise forms.ValidationError(_("The date is in the future."))
        if (today - since).days > MAX_FETCH_DAYS:
            raise forms.ValidationError(_("At most %(days)d days back.") % {"days": MAX_FETCH_DAYS})
        return since


def _when(moment: datetime.datetime | None) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""


def shown_lines(check: GoLiveCheck) -> list[dict[str, str | bool | None]]:
    return [
        {
            "ok": line["ok"],
            "title": golive.show(line["title"]),
            "detail": golive.show(line.get("detail")),
            "fix": golive.show(line.get("fix")),
        }
        for line in check.lines
    ]


def older_orders_of(integration: Integration) -> list[OlderOrders]:
    """Shops with orders the look-back window leaves out, or a fetch of them asked for."""
    found = OlderOrders.objects.filter(shop__integration=integration).select_related("shop")
    return [o for o in found.order_by("shop_id") if o.orders or o.fetch_since]


def older_orders_html(integration: Integration):
    """The warning the integration page shows (empty when there is nothing to say)."""
    rows = []
    for found in older_orders_of(integration):
        if found.fetch_pending:
            rows.append(
                (
                    found.shop,
                    _("fetching the orders placed since %(date)s with the next orders run")
                    % {"date": found.fetch_since},
                )
            )
        elif found.orders:
            numbers = ", ".join(str(row["number"]) for row in found.orders[: golive.NAMED])
            rows.append(
                (
                    found.shop,
                    ngettext(
                        "%(count)d order in a trigger status placed before the look-back window "
                        "is never fetched: %(numbers)s",
                        "%(count)d orders in a trigger status placed before the look-back window "
                        "are never fetched: %(numbers)s",
                        len(found.orders),
                    )
                    % {"count": len(found.orders), "numbers": numbers},
                )
            )
    if not rows:
        return ""
    return format_html(
        '<ul class="messagelist">{}</ul>',
        format_html_join("", '<li class="warning">{}: {}</li>', rows),
    )


class GoLiveAdmin:
    """Mixed into ``IntegrationAdmin``: its pages under ``<pk>/go-live/``."""

    def golive_urls(self):
        view = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path("<int:pk>/go-live/", view(self.golive_page), name="flows_integration_golive"),
            path("<int:pk>/go-live/run/", view(self.golive_run), name="flows_integration_golive_run"),
            path(
                "<int:pk>/choices/refresh/",
                view(self.refresh_choices),
                name="flows_integration_refresh_choices",
            ),
            path(
                "<int:pk>/older-orders/fetch/", view(self.fetch_older), name="flows_integration_fetch_older"
            ),
        ]

    def golive_page(self, request, pk: int, fetch_form: FetchOlderForm | None = None):
        integration = integration_for(request, pk, VIEW)
        check = integration.golive_checks.select_related("ran_by").first()
        older = []
        for found in older_orders_of(integration):
            oldest = min((row["placed"][:10] for row in found.orders if row["placed"]), default="")
            form = fetch_form if fetch_form and fetch_form["shop"].value() == str(found.shop_id) else None
            older.append(
                {
                    "found": found,
                    "form": form or FetchOlderForm(initial={"shop": found.shop_id, "since": oldest}),
                }
            )
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Go-live check: %(integration)s") % {"integration": integration},
            "integration": integration,
            "check": check,
            "lines": shown_lines(check) if check else [],
            "ran_at": _when(check.ran_at) if check else "",
            "can_run": request.user.has_perm(RUN),
            "can_fetch": request.user.has_perm(FETCH),
            "can_refresh": request.user.has_perm(REFRESH),
            "older": older,
            "lists": choices_state(integration),
            "opts": Integration._meta,
        }
        return TemplateResponse(request, "admin/flows/integration/golive.html", context)

    def golive_run(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        integration = integration_for(request, pk, VIEW, RUN)
        check = golive.run_check(integration, request.user)
        level = messages.SUCCESS if check.ok else messages.WARNING
        red = sum(1 for line in check.lines if line["ok"] is not True)
        text = (
            _("Go-live check: all green.")
            if check.ok
            else ngettext(
                "Go-live check: %(count)d line not green.", "Go-live check: %(count)d lines not green.", red
            )
            % {"count": red}
        )
        messages.add_message(request, level, text)
        return redirect("admin:flows_integration_golive", pk=integration.pk)

    def refresh_choices(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        integration = integration_for(request, pk, VIEW, REFRESH)
        problems = livechoices.refresh(integration)
        for problem in problems:
            messages.error(request, _("Not refreshed: %(problem)s") % {"problem": problem})
        if not problems:
            messages.success(request, _("Choices refreshed from Visma and the shop."))
        back = request.POST.get("next", "")
        return redirect(
            back if back.startswith("/admin/") else reverse("admin:flows_integration_change", args=[pk])
        )

    def fetch_older(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        integration = integration_for(request, pk, VIEW, FETCH)
        form = FetchOlderForm(request.POST)
        if not form.is_valid():
            return self.golive_page(request, pk, fetch_form=form)
        shop = get_object_or_404(JetshopShop, pk=form.cleaned_data["shop"], integration=integration)
        older_orders.request_fetch(shop, form.cleaned_data["since"], request.user)
        flow = Flow.SHOP_ORDERS_TO_VISMA
        dispatch.later(
            "flows.tasks.run_flow", integration.pk, flow.value, "older orders", queue=QUEUE_BY_FLOW[flow]
        )
        messages.success(
            request,
            _("The orders of %(shop)s placed since %(date)s are fetched with the next orders run, once.")
            % {"shop": shop, "date": form.cleaned_data["since"]},
        )
        return redirect("admin:flows_integration_golive", pk=integration.pk)


def choices_state(integration: Integration) -> list[tuple[str, str, int]]:
    """(list, read at, rows) of every stored list, for the pages."""
    return [
        (
            f"{row.shop}: {row.get_kind_display()}" if row.shop else row.get_kind_display(),
            _when(row.fetched_at),
            len(row.rows),
        )
        for row in LiveChoices.objects.filter(integration=integration)
        .select_related("shop")
        .order_by("shop_id", "kind")
    ]
