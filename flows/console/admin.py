"""The consultants' configuration pages: integrations, shops with channels and triggers, agents, rules."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from flows.console.golive import GoLiveAdmin, older_orders_html
from flows.console.livechoices import LiveChoicesForm, with_lists
from flows.console.plugins import AlterationsAdminMixin, PluginSettingInline, RuleInline, active_html
from flows.engine.attention import percent_of
from flows.engine.gating import is_multishop
from flows.engine.schedules import drop_schedules, sync_schedules
from flows.livechoices import lists_for
from flows.models import (
    ArticleAccountMapping,
    Channel,
    Integration,
    JetshopShop,
    MethodMapping,
    OrderTrigger,
    PriceListMapping,
    StatusRule,
    SyncItem,
    VismaAgent,
)
from flows.models.config import FLOW_FEATURES
from flows.modes import FLOWS_BY_MODE, Flow, FlowMode, flows_for
from sharespine.customers.adminbase import AuditedModelAdmin, SecretFieldsForm
from sharespine.customers.tiers import REQUIRED_TIER, Feature

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _live_count(formset) -> int:
    return sum(1 for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE"))


class ShopFormSet(BaseInlineFormSet):
    """Multishop is a package-400 feature: refuse a second shop below it."""

    def clean(self) -> None:
        super().clean()
        if self.instance.customer_id and is_multishop(_live_count(self), 0):
            self.instance.customer.require(Feature.MULTISHOP)


class ChannelFormSet(BaseInlineFormSet):
    """Counts channels of the whole integration (other shops' included) against the package."""

    def clean(self) -> None:
        super().clean()
        shop = self.instance
        if not shop.integration_id:
            return
        others = Channel.objects.filter(shop__integration=shop.integration).exclude(shop=shop).count()
        if is_multishop(0, others + _live_count(self)):
            shop.integration.customer.require(Feature.MULTISHOP)


def _live_lists(obj: Integration | JetshopShop):
    if isinstance(obj, JetshopShop):
        return lists_for(obj.integration, obj)
    return lists_for(obj)


class LiveChoicesInline(admin.TabularInline):
    """An inline whose code fields offer the live systems' codes by name (flows.livechoices)."""

    form = LiveChoicesForm
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None and obj.pk:
            kwargs["form"] = with_lists(self.form, _live_lists(obj))
        return super().get_formset(request, obj, **kwargs)


class ShopInline(admin.TabularInline):
    model = JetshopShop
    form = SecretFieldsForm
    formset = ShopFormSet
    extra = 0
    fields = ["name", "endpoint_url", "username", "password", "shop_id_header", "cultures", "edit_link"]
    readonly_fields = ["edit_link"]
    show_change_link = True

    @admin.display(description=_("channels and triggers"))
    def edit_link(self, obj):
        if not obj.pk:
            return "—"
        url = reverse("admin:flows_jetshopshop_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("edit"))


AGENT_STATE_FIELDS = ["connected_since", "last_seen_at", "round_trip_ms", "agent_version", "backend"]


class AgentInline(admin.StackedInline):
    model = VismaAgent
    form = SecretFieldsForm
    readonly_fields = AGENT_STATE_FIELDS
    can_delete = False


class StatusRuleInline(LiveChoicesInline):
    model = StatusRule
    extra = 0


class PriceListMappingInline(LiveChoicesInline):
    model = PriceListMapping
    extra = 0


class ArticleAccountMappingInline(LiveChoicesInline):
    model = ArticleAccountMapping
    extra = 0


class MethodMappingInline(LiveChoicesInline):
    model = MethodMapping
    extra = 0


def mode_table_html():
    """The seed's mode → flows table, straight from flows.modes, for the integration page."""
    modes = list(FlowMode)
    head = format_html_join("", "<th>{}</th>", ((mode.label,) for mode in modes))
    all_flows: list[Flow] = []
    for flows in FLOWS_BY_MODE.values():
        all_flows.extend(flow for flow in flows if flow not in all_flows)
    rows = format_html_join(
        "",
        "<tr><td>{}</td>{}</tr>",
        (
            (
                flow.label,
                format_html_join(
                    "", "<td>{}</td>", (("✓" if flow in FLOWS_BY_MODE[m] else "",) for m in modes)
                ),
            )
            for flow in all_flows
        ),
    )
    return format_html("<table><thead><tr><th></th>{}</tr></thead><tbody>{}</tbody></table>", head, rows)


ENABLED_HELP = _(
    "Off: no flow runs. A new integration starts off: fill in the agent and the shop, save, run "
    'the go-live check, then tick this to start the schedules (in dry run until "live" is ticked).'
)


class ReturnToNextMixin:
    """Saved, a page opened from the work queue's "Fix it" (``?next=<the queue>``) returns there,
    not to the model's list; only to a page of this site (an open redirect would let a link sent
    to a consultant land them anywhere after a save)."""

    def _back(self, request) -> str:
        back = request.GET.get("next", "")
        if any(button in request.POST for button in ("_continue", "_addanother", "_saveasnew")):
            return ""  # the consultant chose to stay on or go to a form
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            return back
        return ""

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)  # type: ignore[misc]
        back = self._back(request)
        return redirect(back) if back and response.status_code == 302 else response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)  # type: ignore[misc]
        back = self._back(request)
        return redirect(back) if back and response.status_code == 302 else response


@admin.register(Integration)
class IntegrationAdmin(ReturnToNextMixin, GoLiveAdmin, AlterationsAdminMixin, AuditedModelAdmin):
    list_display = ["__str__", "flow_mode", "document_type", "live", "enabled", "agent_state", "attention"]
    list_filter = ["flow_mode", "live", "enabled", "customer__tier"]
    search_fields = ["name", "customer__name", "customer__org_number"]
    autocomplete_fields = ["customer"]
    list_select_related = ["customer", "agent"]
    readonly_fields = ["go_live", "flows_run", "mode_table", "alterations"]
    inlines = [
        AgentInline,
        ShopInline,
        MethodMappingInline,
        StatusRuleInline,
        PriceListMappingInline,
        ArticleAccountMappingInline,
        RuleInline,
        PluginSettingInline,
    ]
    fieldsets = [
        (None, {"fields": ["customer", "name", "enabled", "live", "go_live"]}),
        (_("Flows"), {"fields": ["flow_mode", "flows_run", "mode_table", "document_type"]}),
        (
            _("Poll intervals"),
            {
                "fields": [
                    "poll_orders",
                    "poll_order_status",
                    "poll_products",
                    "poll_prices",
                    "poll_price_lists",
                    "poll_stock",
                ]
            },
        ),
        (
            _("Catalogue"),
            {"fields": ["base_price_list", "product_price_includes_vat", "stock_safety_buffer"]},
        ),
        (_("Extras"), {"fields": ["reconciliation_enabled"]}),
        (_("Rules and plugins (package 800)"), {"fields": ["alterations"]}),
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return self.golive_urls() + [
            path("<int:pk>/preview/", view(self.preview_view), name="flows_integration_preview"),
            path("<int:pk>/export/", view(self.export_view), name="flows_integration_export"),
            path("<int:pk>/import/", view(self.import_view), name="flows_integration_import"),
            *super().get_urls(),
        ]

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # The page's read-only parts offer actions by the reader's role (support is not offered
            # an import it may not make); they are given the object, not the request.
            obj.viewer = request.user
        return obj

    @admin.display(description=_("active, in their order"))
    def alterations(self, obj):
        return active_html(obj, getattr(obj, "viewer", None))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "enabled" in form.base_fields:
            form.base_fields["enabled"].help_text = ENABLED_HELP
        return with_lists(form, lists_for(obj)) if obj is not None else form

    def get_changeform_initial_data(self, request):
        # A new integration starts switched off: a set-up half done must not start pulling orders
        # (in dry run, but the merchant's dashboard would count them waiting) or raise alarms.
        return {"enabled": False, **super().get_changeform_initial_data(request)}

    @admin.display(description=_("go-live"))
    def go_live(self, obj):
        if not obj.pk:
            return _("Save first, then run the go-live check.")
        check = obj.golive_checks.first()
        state: StrOrPromise
        if check is None:
            state = _("not run yet")
        elif check.ok:
            state = _("all green, %(when)s") % {
                "when": date_format(localtime(check.ran_at), "SHORT_DATETIME_FORMAT")
            }
        else:
            state = _("not ready, %(when)s") % {
                "when": date_format(localtime(check.ran_at), "SHORT_DATETIME_FORMAT")
            }
        url = reverse("admin:flows_integration_golive", args=[obj.pk])
        return format_html(
            '{}<a href="{}">{}</a> ({})',
            older_orders_html(obj),
            url,
            _("go-live check and live choices"),
            state,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The beat schedule follows the saved configuration (mode, intervals, enabled).
        sync_schedules(form.instance)

    def delete_model(self, request, obj):
        drop_schedules(obj.pk)
        super().delete_model(request, obj)

    @admin.display(description=_("flows this mode runs"))
    def flows_run(self, obj):
        if not obj.pk:
            return _("Save to see the flows of the chosen mode.")
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", self._flow_lines(obj)))

    @staticmethod
    def _flow_lines(obj):
        for flow in flows_for(obj.flow_mode):
            if obj.package_allows(flow):
                yield (flow.label,)
            else:
                needed = REQUIRED_TIER[FLOW_FEATURES[flow]].value
                yield (
                    _("%(flow)s: not run, needs package %(needed)s") % {"flow": flow.label, "needed": needed},
                )

    @admin.display(description=_("modes and their flows"))
    def mode_table(self, obj):
        return mode_table_html()

    @admin.display(description=_("Visma agent"))
    def agent_state(self, obj):
        return agent_state_html(getattr(obj, "agent", None))

    def get_queryset(self, request):
        attention = Count("items", filter=Q(items__status__in=SyncItem.ATTENTION))
        return super().get_queryset(request).annotate(attention_count=attention)

    @admin.display(description=_("needs attention"), ordering="attention_count")
    def attention(self, obj):
        if not obj.attention_count:
            return "0"
        url = reverse("admin:flows_attention_queue") + f"?integration={obj.pk}"
        return format_html('<a href="{}" style="color:#ba2121">{}</a>', url, obj.attention_count)


def agent_state_html(agent: VismaAgent | None) -> StrOrPromise:
    """Offline (since when, and why), online (last seen) or not seen yet: what support looks for first."""
    if agent is None:
        return _("no agent configured")
    if agent.offline_since:
        when = date_format(localtime(agent.offline_since), "SHORT_DATETIME_FORMAT")
        return format_html(
            '<span style="color:#ba2121" title="{}">{}</span>',
            agent.last_error,
            _("Visma agent offline since %(when)s") % {"when": when},
        )
    if agent.mode == VismaAgent.Mode.OUTBOUND and agent.connected_since:
        return agent_connection_text(agent)
    if agent.last_seen_at:
        when = date_format(localtime(agent.last_seen_at), "SHORT_DATETIME_FORMAT")
        return _("online, last seen %(when)s") % {"when": when}
    return _("not seen yet")


def agent_connection_text(agent: VismaAgent) -> StrOrPromise:
    """Outbound: connected since / last seen / round trip, as the agent gateway keeps them."""
    if not agent.connected_since:
        return _("not connected")
    parts = [
        _("connected since %(when)s")
        % {"when": date_format(localtime(agent.connected_since), "SHORT_DATETIME_FORMAT")}
    ]
    if agent.last_seen_at:
        when = date_format(localtime(agent.last_seen_at), "SHORT_DATETIME_FORMAT")
        parts.append(_("last seen %(when)s") % {"when": when})
    if agent.round_trip_ms is not None:
        parts.append(_("round trip %(ms)s ms") % {"ms": number_format(agent.round_trip_ms, 1)})
    return ", ".join(str(p) for p in parts)


class ChannelInline(LiveChoicesInline):
    model = Channel
    formset = ChannelFormSet


class OrderTriggerInline(LiveChoicesInline):
    model = OrderTrigger


class JetshopShopForm(SecretFieldsForm):
    """A second shop on one integration is multishop (package 400)."""

    def clean(self):
        cleaned = super().clean()
        integration = cleaned.get("integration")
        if integration and self.instance.pk is None and integration.shops.exists():
            try:
                integration.customer.require(Feature.MULTISHOP)
            except ValidationError as exc:
                self.add_error("integration", exc)
        return cleaned


@admin.register(JetshopShop)
class JetshopShopAdmin(AuditedModelAdmin):
    form = JetshopShopForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return with_lists(form, _live_lists(obj)) if obj is not None else form

    list_display = ["name", "integration", "endpoint_url", "shop_id_header", "cultures"]
    search_fields = ["name", "integration__customer__name", "shop_id_header"]
    list_select_related = ["integration__customer"]
    autocomplete_fields = ["integration"]
    inlines = [ChannelInline, OrderTriggerInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "integration",
                    "name",
                    "endpoint_url",
                    "username",
                    "password",
                    "shop_id_header",
                    "cultures",
                    "calls_per_second",
                ]
            },
        ),
        (
            _("Orders"),
            {
                "fields": [
                    "channel_rule",
                    "order_reference_prefix",
                    "transferred_status_id",
                    "order_lookback_days",
                ]
            },
        ),
        (
            _("Catalogue"),
            {"fields": ["in_stock_status_id", "out_of_stock_status_id", "price_list_decimals"]},
        ),
        (
            _("Order operations (names from the shop's WSDL)"),
            {
                "fields": [
                    "op_order_list",
                    "op_order_get",
                    "op_order_set_status",
                    "op_order_status_list",
                    "op_channel_list",
                    "op_product_changed",
                ]
            },
        ),
    ]


@admin.register(VismaAgent)
class VismaAgentAdmin(AuditedModelAdmin):
    list_display = ["integration", "mode", "connection", "company_name", "agent_version", "backend"]
    list_filter = ["mode"]
    readonly_fields = AGENT_STATE_FIELDS
    search_fields = ["integration__customer__name", "company_name"]
    list_select_related = ["integration__customer"]

    @admin.display(description=_("status"))
    def connection(self, obj: VismaAgent) -> StrOrPromise:
        if obj.mode == VismaAgent.Mode.DIRECT:
            return agent_state_html(obj) if obj.offline_since else (obj.agent_url or "—")
        return agent_state_html(obj) if obj.offline_since else agent_connection_text(obj)


class MappingFixAdmin(ReturnToNextMixin, AuditedModelAdmin):
    """A mapping on its own page, so the work queue can open it with the missing value filled in
    (``?integration=…&kind=payment&shop_value=Swish``) and come back once it is saved."""

    list_select_related = ["integration__customer"]
    autocomplete_fields = ["integration"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The codes Visma has, as on the integration page: a code Visma lacks would park the
        # orders again under another reason instead of letting them go on.
        form = super().get_form(request, obj, change, **kwargs)
        integration_id = (
            obj.integration_id if obj else request.POST.get("integration") or request.GET.get("integration")
        )
        integration = (
            Integration.objects.filter(pk=integration_id).first() if str(integration_id).isdigit() else None
        )
        return with_lists(form, lists_for(integration)) if integration else form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        waiting = self.waiting_for(obj)
        if waiting:
            self.message_user(
                request,
                ngettext(
                    "%(count)d item waiting for this goes on by itself with the next poll.",
                    "%(count)d items waiting for this go on by themselves with the next poll.",
                    waiting,
                )
                % {"count": waiting},
                messages.SUCCESS,
            )

    def waiting_for(self, obj) -> int:
        """How many parked items this mapping lets go on."""
        raise NotImplementedError


@admin.register(MethodMapping)
class MethodMappingAdmin(MappingFixAdmin):
    list_display = ["integration", "kind", "shop_value", "visma_code"]
    list_filter = ["kind"]
    search_fields = ["shop_value", "visma_code", "integration__customer__name"]

    def waiting_for(self, obj):
        return SyncItem.objects.filter(
            integration=obj.integration,
            status=SyncItem.Status.PARKED,
            reason="needs_mapping",
            result__kind=obj.kind,
            result__value=obj.shop_value,
        ).count()


@admin.register(ArticleAccountMapping)
class ArticleAccountMappingAdmin(MappingFixAdmin):
    list_display = ["integration", "vat_rate", "account_code"]
    search_fields = ["account_code", "integration__customer__name"]

    def waiting_for(self, obj):
        # Parked products go on with the next catalogue cycle, which reads every article again.
        rates = SyncItem.objects.filter(
            integration=obj.integration,
            flow=Flow.SHOP_PRODUCTS_TO_VISMA,
            status=SyncItem.Status.PARKED,
            reason="needs_mapping",
        ).values_list("payload__vat", flat=True)
        return sum(1 for rate in rates if percent_of(rate) == Decimal(obj.vat_rate))
