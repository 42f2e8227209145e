"""The operator console: sync runs, sync items with retry/skip, references, and one page per order.

Support staff may retry and skip (permission ``flows.retry_syncitem``); nobody edits a payload.
Retry is offered wherever a record is shown (the item list, the item, the order page), and every
one of them goes through ``retry_items``: the engine's ``requeue``, then a task per item for flows
whose items have tasks, while orders and order status (processed in order inside their runs) are
picked up by the flow's next poll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from connectors.errors import ConnectorError
from flows import customers, engine, later, tasks
from flows.console.plugins import readable_trail
from flows.engine import attention
from flows.engine.base import BatchFlow
from flows.engine.connections import Connections
from flows.engine.reasons import ORDER_FLOWS, REASON_LABELS, explain, reason_label, status_count
from flows.engine.registry import flow_class
from flows.models import CustomerChoice, ExternalRef, Integration, JetshopShop, JourneyStep, SyncItem, SyncRun
from flows.modes import Flow
from sharespine.customers.adminbase import ReadOnlyModelAdmin

ORDERS = Flow.SHOP_ORDERS_TO_VISMA
Step = JourneyStep.Step
# A CharField always has a max_length (the stubs type it as optional).
CUSTOMER_NUMBER_LENGTH = cast(int, CustomerChoice._meta.get_field("customer_number").max_length)


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` rows: a COUNT(*) over millions of items would slow every page."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        # The admin's change list pages a QuerySet.
        return cast(QuerySet[Any], self.object_list)[: self.CAP + 1].count()


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    """Sync logs: read-only, and paged without counting millions of rows."""

    paginator = CappedPaginator
    show_full_result_count = False


def pretty_json(value) -> str:
    return format_html(
        "<pre style='white-space:pre-wrap'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False)
    )


def money(value, currency: str = "") -> str:
    """An amount from a journey step (a string) in the page's language, with the order's
    currency: 637,00 SEK or 637.00 SEK (a NOK order's 558,00 is not kronor)."""
    try:
        text = number_format(Decimal(str(value)), 2)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{text} {currency}" if currency else text


# --- retry ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retried:
    queued: int  # handed to a task now
    next_poll: int  # orders and status: the flow's next run takes them, in order


def retry_items(item_ids) -> Retried:
    """Back to the queue (the engine's ``requeue``); enqueue on commit where items have tasks."""
    by_flow: dict[str, list[int]] = {}
    for item_id, flow in SyncItem.objects.filter(pk__in=list(item_ids)).values_list("id", "flow"):
        by_flow.setdefault(flow, []).append(item_id)
    queued = next_poll = 0
    for flow, ids in by_flow.items():
        requeued = engine.requeue(sorted(ids))
        if getattr(flow_class(flow), "in_order", False):
            # Processed oldest first inside the run, under its lock: a task of its own would let
            # a retried "paid" overtake "delivered". The next poll (seconds away) takes it.
            next_poll += len(requeued)
        else:
            tasks.enqueue_items(requeued, flow)
            queued += len(requeued)
    return Retried(queued, next_poll)


def report_retry(request, done: Retried) -> None:
    if done.queued:
        queued = ngettext("%(count)d item queued again.", "%(count)d items queued again.", done.queued)
        messages.success(request, queued % {"count": done.queued})
    if done.next_poll:
        messages.success(
            request,
            ngettext(
                "%(count)d item will be retried with the next poll.",
                "%(count)d items will be retried with the next poll.",
                done.next_poll,
            )
            % {"count": done.next_poll},
        )
    if not done.queued and not done.next_poll:
        messages.warning(request, gettext("Nothing to retry: done, or being processed right now."))


def is_batch(flow: str) -> bool:
    """Catalogue cycles read everything and keep no item for a record that went through."""
    return issubclass(flow_class(flow), BatchFlow)


# --- sync runs --------------------------------------------------------------------------------------


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "integration",
        "flow",
        "trigger",
        "status",
        "counts",
        "finished_at",
    ]
    list_filter = ["status", "flow", "trigger"]
    search_fields = ["integration__customer__name", "error"]
    list_select_related = ["integration__customer"]
    date_hierarchy = "started_at"
    fields = ["integration", "flow", "trigger", "status", "started_at", "finished_at", "duration",
              "counts", "items_by_status", "cursor_before", "cursor_after", "error", "log_lines"]  # fmt: skip
    readonly_fields = ["started_at", "duration", "counts", "items_by_status", "log_lines"]

    @admin.display(description=_("duration"))
    def duration(self, obj):
        if not obj.finished_at:
            return "—"
        return _("%(seconds)s s") % {
            "seconds": number_format((obj.finished_at - obj.started_at).total_seconds(), 1)
        }

    @admin.display(description=_("counts"))
    def counts(self, obj):
        if obj.empty_polls > 1:
            return ngettext(
                "nothing new in %(count)d poll", "nothing new in %(count)d polls", obj.empty_polls
            ) % {"count": obj.empty_polls}
        if is_batch(obj.flow):
            # Catalogue cycles read everything and send what differs; the log line has the batches.
            first = ngettext("%(count)d read", "%(count)d read", obj.pulled) % {"count": obj.pulled}
            then = ngettext("%(count)d changed", "%(count)d changed", obj.queued) % {"count": obj.queued}
        else:
            first = ngettext("%(count)d pulled", "%(count)d pulled", obj.pulled) % {"count": obj.pulled}
            then = ngettext("%(count)d new", "%(count)d new", obj.queued) % {"count": obj.queued}
        return f"{first}, {then}"  # each with the plural its language needs ("1 ny", "3 nya")

    @admin.display(description=_("records in this run"))
    def items_by_status(self, obj):
        rows = obj.items.values_list("status").annotate(n=Count("id")).order_by("status")
        if not rows:
            return _("none (records that went through are not kept as items)") if is_batch(obj.flow) else "—"
        url = reverse("admin:flows_syncitem_changelist") + f"?run__id__exact={obj.pk}"
        return format_html(
            '<a href="{}">{}</a>', url, ", ".join(status_count(status, n) for status, n in rows)
        )

    @admin.display(description=_("log"))
    def log_lines(self, obj):
        # Lines are kept as messages and shown in the reader's language (``flows.engine.later``).
        text = "\n".join(later.read_log(obj.log))
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", text or "—")


# --- sync items -------------------------------------------------------------------------------------


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", _("yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=SyncItem.ATTENTION)
        return queryset


class HasErrorFilter(admin.SimpleListFilter):
    title = _("has error")
    parameter_name = "has_error"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(last_error="")
        if self.value() == "no":
            return queryset.filter(last_error="")
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    """The engine's reason codes, listed from code: a DISTINCT over the whole table is a full scan."""

    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return list(REASON_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(reason=self.value()) if self.value() else queryset


def order_page_url(item: SyncItem) -> str:
    return reverse("admin:flows_order_journey", args=[item.integration_id, item.reference])


@admin.register(SyncItem)
class SyncItemAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "integration",
        "flow",
        "reference",
        "status",
        "reason_name",
        "target_id",
        "updated_at",
        "order_link",
    ]
    list_filter = [NeedsAttentionFilter, HasErrorFilter, "status", "flow", "shop", ReasonFilter]
    # The search box also finds the missing value ("Swish"), the buyer's e-mail and name, and an
    # order number without the shop's prefix: see ``get_search_results``.
    search_fields = ["=reference", "=target_id", "=source_id"]
    search_help_text = _(
        "Order number, Visma document number, the missing value (for example Swish), e-mail or customer name."
    )
    list_select_related = ["integration__customer", "shop"]
    raw_id_fields = ["run"]
    readonly_fields = [
        "reason_name", "explanation", "order_link", "payload_pretty", "result_pretty", "latest_error"
    ]  # fmt: skip
    # The reason by its name, not its code; the error as the system wrote it is the technical detail.
    exclude = ["payload", "result", "last_error", "reason"]
    actions = ["retry_selected", "mark_skipped"]
    change_form_template = "admin/flows/syncitem/change_form.html"

    @admin.display(description=_("payload"))
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description=_("result"))
    def result_pretty(self, obj):
        return pretty_json(obj.result)

    @admin.display(description=_("reason"), ordering="reason")
    def reason_name(self, obj):
        return reason_label(obj.reason) if obj.reason else ""

    @admin.display(description=_("latest error (technical detail)"))
    def latest_error(self, obj):
        # Written before the fix of an item that went through since: not shown as its error.
        return "—" if obj.status == SyncItem.Status.DONE or not obj.last_error else obj.last_error

    @admin.display(description=_("why"))
    def explanation(self, obj):
        return explain(obj) or "—"

    @admin.display(description=_("order"))
    def order_link(self, obj):
        if not obj.reference or obj.flow not in ORDER_FLOWS:
            return ""
        return format_html('<a href="{}">{}</a>', order_page_url(obj), _("path"))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(search_match(term)), False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("flows.retry_syncitem")

    @admin.action(description=_("Retry selected"), permissions=["retry"])
    def retry_selected(self, request, queryset):
        report_retry(request, retry_items(queryset.values_list("id", flat=True)))

    @admin.action(description=_("Mark skipped"), permissions=["retry"])
    def mark_skipped(self, request, queryset):
        count = engine.mark_skipped(queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d item marked skipped.", "%(count)d items marked skipped.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"can_retry": self.has_retry_permission(request), "attention": SyncItem.ATTENTION}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        urls = [
            path(
                "order/<int:integration_id>/<path:order_ref>/",
                self.admin_site.admin_view(self.order_journey),
                name="flows_order_journey",
            ),
            path("lookup/", self.admin_site.admin_view(self.lookup), name="flows_order_lookup"),
            path("queue/", self.admin_site.admin_view(self.queue), name="flows_attention_queue"),
            path(
                "<int:item_id>/retry/",
                self.admin_site.admin_view(self.retry_one),
                name="flows_syncitem_retry",
            ),
            path(
                "<int:item_id>/customer/",
                self.admin_site.admin_view(self.choose_customer),
                name="flows_syncitem_choose_customer",
            ),
        ]
        return urls + super().get_urls()

    # --- retry one (order page, item page) ---------------------------------------------------------

    def retry_one(self, request, item_id: int):
        """POST only, CSRF-checked by ``admin_view``; back to where the button was."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_retry_permission(request):
            raise PermissionDenied
        item = get_object_or_404(SyncItem, pk=item_id)
        report_retry(request, retry_items([item.pk]))
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = reverse("admin:flows_syncitem_change", args=[item.pk])
        return redirect(back)

    def has_choose_customer_permission(self, request) -> bool:
        return request.user.has_perm("flows.add_customerchoice")

    def choose_customer(self, request, item_id: int):
        """An order parked because the flow would not guess its customer: the consultant's answer
        (a candidate, another number that exists in Visma, or a new customer), then a retry."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_choose_customer_permission(request):
            raise PermissionDenied
        item = get_object_or_404(SyncItem.objects.select_related("integration"), pk=item_id, flow=ORDERS)
        back = order_page_url(item)
        number = request.POST.get("customer", "").strip()
        if number == "new":
            number = ""
        elif not number or len(number) > CUSTOMER_NUMBER_LENGTH:
            messages.error(request, gettext("Choose a customer, or a new one."))
            return redirect(back)
        elif number not in candidate_numbers(item) and not customer_exists(item.integration, number):
            messages.error(request, gettext("Visma has no customer %(number)s.") % {"number": number})
            return redirect(back)
        CustomerChoice.objects.update_or_create(
            integration=item.integration,
            source_id=item.source_id,
            defaults={"customer_number": number, "chosen_by": request.user.get_username()},
        )
        messages.success(
            request,
            gettext("The order will be booked on customer %(number)s.") % {"number": number}
            if number
            else gettext("The order will be booked on a new customer."),
        )
        report_retry(request, retry_items([item.pk]))
        return redirect(back)

    # --- the order page ------------------------------------------------------------------------------

    def order_journey(self, request, integration_id: int, order_ref: str):
        """One page per order: received → mapped → in Visma as document N → delivered → e-mail → capture."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        integration = get_object_or_404(Integration.objects.select_related("customer"), pk=integration_id)
        steps = list(JourneyStep.objects.filter(integration=integration, order_ref=order_ref))
        items = list(
            SyncItem.objects.filter(integration=integration, reference=order_ref, flow__in=ORDER_FLOWS)
            .select_related("shop")
            .order_by("id")
        )
        order_items = [i for i in items if i.flow == ORDERS]
        for item in items:
            item.reason_name = reason_label(item.reason) if item.reason else ""  # type: ignore[attr-defined]
        shop = order_items[-1].shop if order_items else None
        payload = order_items[-1].payload if order_items else {}
        currency = str(payload.get("currency_code", "") if isinstance(payload, dict) else "")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Order %(ref)s") % {"ref": order_ref},
            "opts": self.model._meta,
            "integration": integration,
            "order_ref": order_ref,
            "shop": shop,
            "milestones": milestones(steps, Facts(shop, currency, shop_status_names(shop))),
            "steps": [(step, json.dumps(step.detail, indent=2, ensure_ascii=False)) for step in steps],
            "items": items,
            "attention": [
                (i, explain(i), breakdown(i, currency)) for i in items if i.status in SyncItem.ATTENTION
            ],
            "waiting": [(i, explain(i)) for i in items if i.status == SyncItem.Status.QUEUED and i.reason],
            "can_retry": self.has_retry_permission(request),
            "can_choose_customer": self.has_choose_customer_permission(request),
            "customer": how_customer_was_chosen(steps),
            "alterations": alterations_of(steps),
        }
        return render(request, "admin/flows/order_journey.html", context)

    # --- the work queue ------------------------------------------------------------------------------

    def queue(self, request):
        """Needs attention, one line per cause: how many, why, who must act, and the fix."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        items = SyncItem.objects.all()
        integration = None
        if request.GET.get("integration", "").isdigit():
            integration = get_object_or_404(Integration, pk=int(request.GET["integration"]))
            items = items.filter(integration=integration)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Needs attention"),
            "integration": integration,
            "groups": attention.groups(items),
            "can_fix": request.user.has_perm("flows.add_methodmapping"),
            "here": request.get_full_path(),
        }
        return render(request, "admin/flows/attention_queue.html", context)

    # --- look-up -----------------------------------------------------------------------------------------

    def lookup(self, request):
        """Find an order by its shop order number (with or without the shop's prefix) or its Visma
        document number; one match opens the order's page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.get("q", "").strip()
        found = find_orders(query) if query else []
        if len(found) == 1:
            return redirect(order_page_url(found[0][0]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Find an order"),
            "opts": self.model._meta,
            "query": query,
            "found": found,
        }
        return render(request, "admin/flows/order_lookup.html", context)


def candidate_numbers(item: SyncItem) -> set[str]:
    result = item.result if isinstance(item.result, dict) else {}
    return {str(c.get("number", "")) for c in result.get("candidates", []) if isinstance(c, dict)}


def customer_exists(integration: Integration, number: str) -> bool:
    try:
        return bool(Connections(integration).visma.find_customers(number=number))
    except ConnectorError:
        return False


def how_customer_was_chosen(steps: list[JourneyStep]) -> dict | None:
    """The latest mapping's customer decision: by what key, and each candidate refused and why."""
    mapped = [s for s in steps if s.step == Step.MAPPED]
    if not mapped:
        return None
    detail = mapped[-1].detail or {}
    how = detail.get("customer_how", "")
    return {
        "number": detail.get("customer", ""),
        "how": CUSTOMER_HOW.get(how, how),
        "chosen_by": detail.get("chosen_by", ""),
        "moved_from": detail.get("customer_moved_from", ""),
        "candidates": [
            {**c, "found_by": CUSTOMER_HOW.get(c.get("found_by", ""), c.get("found_by", ""))}
            for c in detail.get("candidates", [])
            if isinstance(c, dict)
        ],
    }


def alterations_of(steps: list[JourneyStep]) -> list[dict]:
    """The rules and plugins that ran at the latest mapping, each with what it changed."""
    mapped = [s for s in steps if s.step == Step.MAPPED]
    trail = (mapped[-1].detail or {}).get("alterations", []) if mapped else []
    # What the plugins said once the document existed (notes, or why they failed).
    created = [s for s in steps if s.step == Step.IN_VISMA]
    trail = [*trail, *((created[-1].detail or {}).get("after_document", []) if created else [])]
    return readable_trail([step for step in trail if isinstance(step, dict)])


def breakdown(item: SyncItem, currency: str = "") -> list[dict[str, str]]:
    """A parked order's totals per VAT rate (shop, Visma, difference), as amounts in the page's language."""
    rows = item.result.get("breakdown", []) if isinstance(item.result, dict) else []
    return [
        {"vat": row.get("vat", ""), **{k: money(row.get(k, ""), currency) for k in ("shop", "visma", "diff")}}
        for row in rows
    ]


def order_references(query: str) -> set[str]:
    """``query`` as an order reference: as typed, and with each shop's prefix (the prefixes are few)."""
    prefixes = set(JetshopShop.objects.exclude(order_reference_prefix="").values_list(
        "order_reference_prefix", flat=True
    ))  # fmt: skip
    references = {query}
    for prefix in prefixes:
        references.add(prefix + query)
        if query.lower().startswith(prefix.lower()):
            references.add(prefix + query[len(prefix) :])
    return references


def search_match(term: str) -> Q:
    """The item list's search: an order number (with or without prefix), a Visma number, the
    missing value of a parked item, the buyer's e-mail, or the buyer's (company) name."""
    match = Q(reference__in=order_references(term)) | Q(target_id=term) | Q(source_id=term)
    match |= Q(result__value__iexact=term) | Q(payload__email__iexact=term)
    match |= Q(payload__bill_to__company__icontains=term)
    first, _space, last = term.partition(" ")
    if last:
        match |= Q(payload__bill_to__first_name__iexact=first, payload__bill_to__last_name__iexact=last)
    else:
        match |= Q(payload__bill_to__last_name__iexact=term) | Q(payload__bill_to__first_name__iexact=term)
    return match


def find_orders(query: str, limit: int = 50) -> list[tuple[SyncItem, str]]:
    """Orders-flow items matching ``query``, one per (integration, order), with how they matched.

    Only the orders flow: status items carry the order's reference too, and a shop status id as
    their target. References are exact (indexed); the prefixes of all shops are few.
    """
    references = order_references(query)
    match = Q(reference__in=references)
    if query.isdigit():
        match |= Q(target_id=query)
    items = (
        SyncItem.objects.filter(match, flow=ORDERS)
        .select_related("integration__customer", "shop")
        .order_by("-id")[: limit * 2]
    )
    seen: dict[tuple[int, str], tuple[SyncItem, str]] = {}
    for item in items:
        how = (
            gettext("Visma document")
            if item.target_id == query and item.reference not in references
            else gettext("shop order")
        )
        seen.setdefault((item.integration_id, item.reference), (item, how))
    return list(seen.values())[:limit]


# --- the order's path, as a summary ----------------------------------------------------------------


@dataclass
class Milestone:
    label: str
    at: object = None  # when the step happened; None while the order has not got there
    text: str = ""
    warnings: tuple[str, ...] = ()


CUSTOMER_HOW = {
    customers.BY_REMEMBERED: _("known shop customer"),
    customers.BY_SHARED_GUEST: _("shared guest customer"),
    customers.BY_ORG_NUMBER: _("found by organisation number"),
    customers.BY_EMAIL: _("found by e-mail"),
    customers.BY_CHOICE: _("chosen by a person"),
    customers.WOULD_CREATE: _("would be created"),
    customers.BY_NEW: _("created"),
    # journeys written before customers were held against the order's organisation number
    "found in Visma": _("found in Visma"),
}


@dataclass(frozen=True)
class Facts:
    """What the path's texts need besides each step: the shop, the order's currency, and the
    shop's status names (so a status reads "Skickad (3)", not a bare number)."""

    shop: JetshopShop | None
    currency: str = ""
    status_names: dict[int, str] = field(default_factory=dict)

    def status(self, status_id) -> str:
        name = self.status_names.get(int(status_id)) if str(status_id).isdigit() else None
        return f"{name} ({status_id})" if name else str(status_id)


STATUS_NAMES_TTL_SECONDS = 3600


def shop_status_names(shop: JetshopShop | None) -> dict[int, str]:
    """The shop's order status names, read through the connector and kept for an hour; none when
    the shop does not answer (the page then shows the number)."""
    if shop is None:
        return {}
    key = f"jetshop-status-names-{shop.pk}"
    names = cache.get(key)
    if names is None:
        try:
            statuses = Connections(shop.integration).jetshop(shop).list_order_statuses()
        except ConnectorError:
            return {}
        names = {status.status_id: status.name for status in statuses}
        cache.set(key, names, STATUS_NAMES_TTL_SECONDS)
    return names


def _received(d: dict, facts: Facts) -> str:
    return gettext("from %(shop)s") % {"shop": facts.shop} if facts.shop else ""


def _mapped(d: dict, facts: Facts) -> str:
    how = d.get("customer_how", "")
    parts = [
        gettext("customer %(number)s (%(how)s)")
        % {"number": d.get("customer", "?"), "how": CUSTOMER_HOW.get(how, how)}
    ]
    if d.get("channel"):
        parts.append(gettext("channel %(channel)s") % {"channel": d["channel"]})
    parts.append(gettext("prices incl. VAT") if d.get("including_vat") else gettext("prices excl. VAT"))
    if d.get("rounding_row") and Decimal(d["rounding_row"]):
        parts.append(gettext("öre row %(amount)s") % {"amount": money(d["rounding_row"], facts.currency)})
    return ", ".join(parts)


def _in_visma(d: dict, facts: Facts) -> str:
    text = gettext("%(kind)s %(number)s, total %(total)s (öre rounding %(round_off)s)") % {
        "kind": dict(Integration.DocumentType.choices).get(d.get("kind", ""), d.get("kind", "")),
        "number": d.get("number", "?"),
        "total": money(d.get("total", ""), facts.currency),
        "round_off": money(d.get("round_off", "0"), facts.currency),
    }
    if d.get("found_by_reference"):
        text += " · " + gettext("found in Visma by our reference, not written again")
    return text


def _delivered(d: dict, facts: Facts) -> str:
    if d.get("tracking"):
        return gettext("%(document)s, tracking number %(tracking)s") % d
    return gettext("%(document)s, no tracking number") % {"document": d.get("document", "")}


def _shop_status(d: dict, facts: Facts) -> str:
    return gettext("shop status %(status)s") % {"status": facts.status(d.get("status_id", "?"))}


def _email(d: dict, facts: Facts) -> str:
    return gettext("to %(to)s") % {"to": d.get("to", "?")}


def _capture(d: dict, facts: Facts) -> str:
    # The shop's status call answers with success only: whether the payment provider charged
    # anything (an invoice or Swish has nothing to capture) is not known here.
    return gettext(
        "%(amount)s (%(method)s) asked of the shop with status %(status)s; the shop does not confirm captures"
    ) % {
        "amount": money(d.get("amount", ""), facts.currency),
        "method": d.get("payment_method", ""),
        "status": facts.status(d.get("status_id", "?")),
    }


def _document(d: dict, facts: Facts) -> str:
    return str(d.get("document", ""))


def _dry_run(d: dict, facts: Facts) -> str:
    return gettext("dry run: nothing was written")


# The summary's stages in order: (step, its label, its text, listed even before it happens).
PATH = [
    (Step.RECEIVED, None, _received, True),
    (Step.MAPPED, None, _mapped, True),
    (Step.WOULD_WRITE, None, _dry_run, False),
    (Step.IN_VISMA, None, _in_visma, True),
    (Step.DELIVERED, None, _delivered, True),
    (Step.SHOP_STATUS, None, _shop_status, False),
    (Step.EMAIL, None, _email, True),
    # Listed only when a rule asked for it, and named for what we know: we asked, the shop acts.
    (Step.CAPTURE_REQUESTED, None, _capture, False),
    (Step.INVOICED, None, _document, False),
    (Step.PAID, None, _document, False),
    (Step.CANCELLED, None, _document, False),
]


def milestones(steps: list[JourneyStep], facts: Facts) -> list[Milestone]:
    """The order's path, each stage with its latest step (the first for "received"); the main
    stages are listed without a time until the order gets there."""
    latest: dict[str, JourneyStep] = {}
    for journey_step in steps:
        if journey_step.step != Step.RECEIVED or journey_step.step not in latest:
            latest[journey_step.step] = journey_step
    summary = []
    for step, label, text_of, always in PATH:
        name = str(label or Step(step).label)
        found = latest.get(step)
        if found is None:
            if always:
                summary.append(Milestone(name))
            continue
        detail = found.detail or {}
        summary.append(Milestone(name, found.at, text_of(detail, facts), tuple(detail.get("warnings") or ())))
    return summary


@admin.register(ExternalRef)
class ExternalRefAdmin(ReadOnlyAdmin):
    list_display = ["integration", "kind", "shop_id", "erp_id", "last_synced_at"]
    list_filter = ["kind"]
    search_fields = ["=shop_id", "=erp_id"]
    list_select_related = ["integration__customer"]
