"""The price matrix (consultants edit it), each merchant's usage page, the warnings and the CSV export.

Consultants edit the matrix and export; support staff read usage, warnings and the matrix; merchant
users have no admin (their own usage is on the dashboard). See ``sharespine.customers.roles``.
"""

from __future__ import annotations

import io
from datetime import date, datetime

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sharespine.customers.adminbase import AuditedModelAdmin, ReadOnlyModelAdmin
from sharespine.metering import export, usage
from sharespine.metering.models import Kind, MerchantUsage, PackagePrice, PriceTier, UsageWarning

HISTORY_MONTHS = 12


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    extra = 1
    fields = ["name", "orders_up_to", "articles_up_to", "payouts_up_to", "monthly_fee"]


@admin.register(PackagePrice)
class PackagePriceAdmin(AuditedModelAdmin):
    list_display = ["package", "start_fee", "tier_list"]
    inlines = [PriceTierInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tiers")

    @admin.display(description=_("volume tiers"))
    def tier_list(self, obj: PackagePrice) -> str:
        return ", ".join(f"{t.name} {t.monthly_fee} kr" for t in obj.tiers.all())


def parse_month(text: str | None, default: date) -> date:
    """``YYYY-MM`` from a form, bounded: anything else is the default month."""
    try:
        return datetime.strptime(text or "", "%Y-%m").date()
    except ValueError:
        return default


def shown_month() -> date:
    """The month the usage list shows, and so the month its export gives unless another is chosen."""
    return usage.month_of(timezone.now())


class UsageChangeList(ChangeList):
    """Each merchant of the page comes with this month's bill, computed for the page at once."""

    def get_results(self, request):
        super().get_results(request)
        by_pk = {b.customer.pk: b for b in usage.bills(self.result_list, shown_month())}
        for customer in self.result_list:
            customer.bill = by_pk[customer.pk]


@admin.register(MerchantUsage)
class MerchantUsageAdmin(ReadOnlyModelAdmin):
    list_display = [
        "name",
        "tier",
        "orders",
        "articles",
        "payouts",
        "tier_reached",
        "projected_fee",
        "warning",
    ]
    list_filter = ["tier", "active"]
    search_fields = ["name", "org_number"]
    actions = None
    change_list_template = "admin/metering/merchantusage/change_list.html"

    def get_changelist(self, request, **kwargs):
        return UsageChangeList

    @admin.display(description=_("orders"))
    def orders(self, obj) -> int:
        return obj.bill.used[Kind.ORDER]

    @admin.display(description=_("articles"))
    def articles(self, obj) -> int:
        return obj.bill.used[Kind.ARTICLE]

    @admin.display(description=_("payouts"))
    def payouts(self, obj) -> int:
        return obj.bill.used[Kind.PAYOUT]

    @admin.display(description=_("tier reached"))
    def tier_reached(self, obj) -> str:
        return tier_text(obj.bill)

    @admin.display(description=_("projected fee (SEK)"))
    def projected_fee(self, obj) -> str:
        fee = obj.bill.projected_fee
        return "—" if fee is None else str(fee)

    @admin.display(description=_("warning"))
    def warning(self, obj) -> str:
        return warning_text(obj.bill)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="metering_merchantusage_export")
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_export": request.user.has_perm("metering.export_usage"),
            "export_url": reverse("admin:metering_merchantusage_export"),
            "export_month": f"{shown_month():%Y-%m}",
            "month_name": formats.date_format(shown_month(), "F Y"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The usage page of one merchant: this month, the months before, tiers and warnings."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            raise PermissionDenied  # a page to read
        customer = get_object_or_404(MerchantUsage, pk=object_id)
        bills = usage.history(customer, HISTORY_MONTHS)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Usage of %(merchant)s") % {"merchant": customer.name},
            "customer": customer,
            "current": bills[0],
            "bills": bills,
            "kinds": [(k, Kind(k).label) for k in usage.KINDS],
            "tiers": usage.Matrix().tiers(customer.tier),
            "warning": warning_text(bills[0]),
            "warnings": UsageWarning.objects.filter(customer=customer).order_by("-month", "threshold")[:24],
        }
        return TemplateResponse(request, "admin/metering/merchantusage/usage.html", context)

    def export_view(self, request):
        """CSV of every merchant's month (``?month=YYYY-MM``, by default the month the list shows: an
        export taken from the list holds the numbers on the screen)."""
        if not request.user.has_perm("metering.export_usage"):
            raise PermissionDenied
        month = parse_month(request.GET.get("month"), shown_month())
        out = io.StringIO()
        export.write_csv(month, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="usage-{month:%Y-%m}.csv"'
        return response


def tier_text(bill: usage.Bill) -> str:
    if bill.tier is None:
        return gettext("no price for package %(package)s") % {"package": bill.customer.tier}
    if bill.over_top:
        return gettext("%(tier)s (past its limits)") % {"tier": bill.tier.name}
    return bill.tier.name


def warning_text(bill: usage.Bill) -> str:
    """The highest share of a limit of the tier reached, when it is 80 % or more."""
    top = max((share for _k, _n, _l, share in bill.share_of_limit()), default=0)
    if top >= 100:
        return gettext("%(percent)s %% of tier %(tier)s: the next one moves up") % {
            "percent": top,
            "tier": bill.tier,
        }
    if top >= 80:
        return gettext("%(percent)s %% of tier %(tier)s") % {"percent": top, "tier": bill.tier}
    return ""


@admin.register(UsageWarning)
class UsageWarningAdmin(ReadOnlyModelAdmin):
    """Read-only: written by the warning check, never edited."""

    list_display = [
        "month",
        "customer",
        "tier",
        "threshold",
        "kind",
        "count",
        "limit",
        "created_at",
        "mailed_at",
    ]
    list_filter = ["month", "threshold"]
    list_select_related = ["customer"]
    search_fields = ["customer__name"]
    actions = None
