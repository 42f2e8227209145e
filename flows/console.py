"""The operator console: sync runs, sync items with retry/skip, references, and one page per order.

Support staff may retry and skip (permission ``flows.retry_syncitem``); nobody edits a payload.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from flows import engine, tasks
from flows.models import ExternalRef, Integration, JourneyStep, SyncItem, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def pretty_json(value) -> str:
    return format_html(
        "<pre style='white-space:pre-wrap'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "integration",
        "flow",
        "trigger",
        "status",
        "pulled",
        "queued",
        "finished_at",
    ]
    list_filter = ["status", "flow", "trigger"]
    search_fields = ["integration__customer__name", "error"]
    list_select_related = ["integration__customer"]
    date_hierarchy = "started_at"
    readonly_fields = ["log_lines"]

    @admin.display(description=_("log"))
    def log_lines(self, obj):
        return format_html("<pre>{}</pre>", obj.log or "—")


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=SyncItem.ATTENTION)
        return queryset


@admin.register(SyncItem)
class SyncItemAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "flow",
        "shop",
        "reference",
        "status",
        "reason",
        "attempts",
        "target_id",
        "updated_at",
        "order_link",
    ]
    list_filter = [NeedsAttentionFilter, "status", "flow", "shop", "reason"]
    search_fields = ["=reference", "=target_id", "=source_id"]
    list_select_related = ["integration__customer", "shop"]
    raw_id_fields = ["run"]
    readonly_fields = ["payload_pretty", "result_pretty", "last_error"]
    exclude = ["payload", "result"]
    actions = ["retry_selected", "mark_skipped"]

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description=_("result"))
    def result_pretty(self, obj):
        return pretty_json(obj.result)

    @admin.display(description=_("order"))
    def order_link(self, obj):
        if not obj.reference:
            return ""
        url = reverse("admin:flows_order_journey", args=[obj.integration_id, obj.reference])
        return format_html('<a href="{}">{}</a>', url, _("path"))

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("flows.retry_syncitem")

    @admin.action(description=_("Retry selected"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        by_flow: dict[str, list[int]] = {}
        for item_id, flow in queryset.values_list("id", "flow"):
            by_flow.setdefault(flow, []).append(item_id)
        count = 0
        for flow, ids in by_flow.items():
            requeued = engine.requeue(ids)
            tasks.enqueue_items(requeued, flow)
            count += len(requeued)
        self.message_user(request, _("%(count)d item(s) queued again.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Mark skipped"), permissions=["retry"])
    def mark_skipped(self, request, queryset):
        count = engine.mark_skipped(queryset.values_list("id", flat=True))
        self.message_user(
            request, _("%(count)d item(s) marked skipped.") % {"count": count}, messages.SUCCESS
        )

    def get_urls(self):
        urls = [
            path(
                "order/<int:integration_id>/<path:order_ref>/",
                self.admin_site.admin_view(self.order_journey),
                name="flows_order_journey",
            ),
            path("lookup/", self.admin_site.admin_view(self.lookup), name="flows_order_lookup"),
        ]
        return urls + super().get_urls()

    def order_journey(self, request, integration_id: int, order_ref: str):
        """One page per order: received → mapped → in Visma as document N → delivered → e-mail → captured."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        integration = Integration.objects.select_related("customer").get(pk=integration_id)
        steps = JourneyStep.objects.filter(integration=integration, order_ref=order_ref).select_related(
            "item"
        )
        items = SyncItem.objects.filter(integration=integration, reference=order_ref).order_by("id")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Order %(ref)s") % {"ref": order_ref},
            "integration": integration,
            "order_ref": order_ref,
            "steps": [(step, json.dumps(step.detail, indent=2, ensure_ascii=False)) for step in steps],
            "items": items,
        }
        return render(request, "admin/flows/order_journey.html", context)

    def lookup(self, request):
        """Find orders by shop order number or Visma document number."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        items = SyncItem.objects.none()
        if query:
            items = (
                SyncItem.objects.filter(Q(reference=query) | Q(target_id=query))
                .select_related("integration__customer")
                .order_by("-id")[:50]
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Find an order"),
            "query": query,
            "items": items,
        }
        return render(request, "admin/flows/order_lookup.html", context)


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["integration", "kind", "shop_id", "erp_id", "last_synced_at"]
    list_filter = ["kind"]
    search_fields = ["=shop_id", "=erp_id"]
    list_select_related = ["integration__customer"]
