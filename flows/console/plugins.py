"""Rules and plugins in the admin (package 800): the inlines of the integration page, the list of
what is active in its order, the preview, and export/import of an integration's set.

Consultants edit (the inlines, import); support sees (the list, the preview, export); merchant
users have no admin. Every change goes through the configuration change log: the inlines through
the integration page's audited save, an import through ``audit.record`` for each row it replaces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from connectors.errors import ConnectorError
from connectors.jetshop.records import Order
from connectors.visma import protocol as P
from flows import customers, later
from flows.console.access import integration_for
from flows.console.product_preview import preview_products, product_flows, wanted_numbers
from flows.engine import MappingError
from flows.engine.connections import Connections
from flows.engine.payloads import load
from flows.engine.reasons import explain
from flows.models import Integration, JourneyStep, PluginSetting, Rule, SyncItem, VismaAgent
from flows.models.plugins import DocumentField
from flows.modes import Flow
from flows.plugins import discovery
from flows.plugins.api import SettingsError
from flows.plugins.host import Alterations, SkipOrder, validate_plugin
from flows.shop_orders_to_visma import Facts, ShopOrdersToVisma, channel_name
from sharespine.customers import audit
from sharespine.customers.adminbase import AdminForm

EXPORT_FORMAT = "sharespine-rules-and-plugins"
# Bounds on what a consultant uploads and asks for.
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 200
PREVIEW_DEFAULT, PREVIEW_MAX = 20, 200
CREATED = (customers.BY_NEW, customers.WOULD_CREATE)
RULE_FIELDS = [f.name for f in Rule._meta.concrete_fields if f.name not in ("id", "integration")]
PLUGIN_FIELDS = ["position", "plugin", "settings", "enabled", "dry_run"]


# --- the inlines ------------------------------------------------------------------------------------


class RuleInline(admin.StackedInline):
    model = Rule
    form = AdminForm
    extra = 0
    fieldsets = [
        (None, {"fields": [("position", "kind", "enabled", "dry_run")]}),
        (_("When (empty: every order)"), {"fields": [("when_field", "when_operator", "when_value")]}),
        (_("Field rules"), {"fields": [("source", "dynamic_field", "target", "value"), "table"]}),
        (_("Added row"), {"fields": [("article_number", "row_text", "row_price", "price")]}),
        (_("Product rules"), {"fields": [("direction", "product_field", "operation")]}),
    ]


class PluginSettingForm(forms.ModelForm):
    """The plugin chosen among those installed; its settings checked against its schema on save."""

    plugin = forms.ChoiceField(label=_("plugin"))

    class Meta:
        model = PluginSetting
        fields = PLUGIN_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        installed = discovery.available()
        choices = [(name, f"{name} {cls.version}: {cls.description}") for name, cls in installed.items()]
        if self.instance.plugin and self.instance.plugin not in installed:
            choices.append((self.instance.plugin, gettext("%(name)s (not installed)") % {
                "name": self.instance.plugin}))  # fmt: skip
        self.fields["plugin"].choices = [("", "---------"), *choices]  # type: ignore[attr-defined]
        self.fields["settings"].help_text = schema_help()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        name = cleaned.get("plugin")
        if name and "settings" in cleaned:
            try:
                cleaned["settings"] = validate_plugin(name, cleaned["settings"])
            except SettingsError as exc:
                self.add_error("settings", exc.problems)
        return cleaned


def schema_help() -> str:
    """Each installed plugin's settings, for the settings box (a JSON object)."""
    lines = []
    for name, cls in discovery.available().items():
        parts = [f"{key} ({spec.kind.__name__}{', required' if spec.required else ''})"
                 for key, spec in cls.settings_schema.items()]  # fmt: skip
        lines.append(f"{name}: {', '.join(parts) or '—'}")
    return gettext("A JSON object. Settings per plugin: %(schemas)s") % {"schemas": "; ".join(lines)}


class PluginSettingInline(admin.TabularInline):
    model = PluginSetting
    form = PluginSettingForm
    extra = 0
    fields = tuple(PLUGIN_FIELDS)


# --- the active set, as the integration page lists it ------------------------------------------------


def active_html(integration: Integration, user=None) -> str:
    """The enabled rules and plugins in the order they run, and links to preview, export and (for
    whoever may change rules: consultants, not support) import."""
    if not integration.pk:
        return gettext("Save to add rules and plugins.")
    steps = Alterations.of(integration).steps if integration.customer_id else []
    rows = format_html_join(
        "", "<li>{}{}{}</li>",
        ((step.name, gettext(" (dry run only)") if step.dry_run else "",
          format_html(' <strong style="color:#ba2121">{}</strong>', step.problem) if step.problem else "")
         for step in steps),
    )  # fmt: skip
    actions = [
        ("admin:flows_integration_preview", gettext("Preview"), "flows.view_rule"),
        ("admin:flows_integration_export", gettext("Export"), "flows.view_rule"),
        ("admin:flows_integration_import", gettext("Import"), "flows.change_rule"),
    ]
    links = format_html_join(
        " · ",
        '<a href="{}">{}</a>',
        (
            (reverse(name, args=[integration.pk]), label)
            for name, label, permission in actions
            if user is not None and user.has_perm(permission)
        ),
    )
    if not steps:
        return format_html("<p>{}</p><p>{}</p>", gettext("None active."), links)
    return format_html("<ol>{}</ol><p>{}</p>", rows, links)


# --- preview ------------------------------------------------------------------------------------------


@dataclass
class Previewed:
    """One recent order under the current rules and plugins: the verdict and what each changed."""

    item: SyncItem
    verdict: str
    trail: list[dict[str, Any]] = field(default_factory=list)


# What a skip or park rule's trail entry says (the order: transfer → skip/park), and the Visma
# document's fields by the names the rule form gives them; anything else shows as its code.
SCREEN_WORDS = {
    "order": _("order"),
    "transfer": _("transfer"),
    "skip": _("skip"),
    "park": _("park"),
}
FIELD_LABELS = {
    **{field.value: field.label for field in DocumentField},
    "texts[1]": DocumentField.TEXT1.label,
    "texts[2]": DocumentField.TEXT2.label,
    "texts[3]": DocumentField.TEXT3.label,
}


def readable_trail(trail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A trail (the journey's, the preview's) in the reader's language: rules by their translated
    names, fields by their labels (the code stays beside it), the skip/park words translated."""
    shown = []
    for entry in trail:
        entry = dict(entry)
        if isinstance(entry.get("text"), dict):
            entry["name"] = str(later.Text.from_json(entry["text"]))
        changes = []
        for change in entry.get("changes", []):
            field_path = str(change.get("field", ""))
            screen = entry.get("kind") == "rule" and field_path == "order"
            words: dict[str, Any] = SCREEN_WORDS if screen else {}
            changes.append(
                {
                    **change,
                    "label": str(words.get(field_path) or FIELD_LABELS.get(field_path, "")),
                    "before": str(words.get(change.get("before"), change.get("before", ""))),
                    "after": str(words.get(change.get("after"), change.get("after", ""))),
                }
            )
        entry["changes"] = changes
        shown.append(entry)
    return shown


def preview_orders(integration: Integration, count: int) -> list[Previewed]:
    """The last ``count`` orders (their stored payloads) mapped again with the rules and plugins.

    Reads only: the order as stored, the integration's configuration, the Visma company's VAT
    codes. Nothing is written to the shop, to Visma or to our database.
    """
    items = list(
        SyncItem.objects.filter(integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
        .exclude(shop=None)
        .select_related("shop")
        .order_by("-id")[:count]
    )
    if not items:
        return []
    flow = ShopOrdersToVisma(integration, Connections(integration))
    alterations = flow.alterations
    customers_of = last_customers(integration, [i.reference for i in items])
    results = []
    for item in items:
        order = load(Order, item.payload)
        assert item.shop is not None  # excluded above
        try:
            channel = flow.channel_of(order, item.shop)
            trail = alterations.screen(order, channel_name(channel))
            number, how = customers_of.get(item.reference, ("—", ""))
            # An order that created its customer shows the rules for a new customer too.
            new = customers.customer_input(order, order.currency_code or None) if how in CREATED else None
            customer = customers.Decision(number, "preview", "", new=new)
            facts = Facts(integration.document_type, channel, customer, flow.lookups, alterations)
            trail += ShopOrdersToVisma.map(order, item.reference, facts).trail
        except SkipOrder as exc:
            results.append(Previewed(item, gettext("would be skipped: %(why)s") % {"why": exc}))
            continue
        except MappingError as exc:
            # The sentence the queue and the order page use, in the reader's language; the
            # mapping's own (English, technical) message only when the reason has none.
            why = explain(SyncItem(flow=item.flow, reason=exc.reason, result=exc.detail)) or exc
            results.append(Previewed(item, gettext("would be parked: %(why)s") % {"why": why}))
            continue
        verdict = gettext("would go to Visma")
        results.append(Previewed(item, verdict, readable_trail(trail)))
    return results


def last_customers(integration: Integration, references: list[str]) -> dict[str, tuple[str, str]]:
    """Each order's Visma customer as its last mapping chose it, and how (the preview looks
    nothing up)."""
    steps = JourneyStep.objects.filter(
        integration=integration, order_ref__in=references, step=JourneyStep.Step.MAPPED
    ).order_by("id")
    return {
        s.order_ref: (str(s.detail.get("customer", "—")), str(s.detail.get("customer_how", "")))
        for s in steps
    }


# --- export and import --------------------------------------------------------------------------


def export_set(integration: Integration) -> dict[str, Any]:
    rules = []
    for rule in integration.rules.all():
        row = model_to_dict(rule, RULE_FIELDS)
        row["price"] = None if rule.price is None else str(rule.price)  # exact: JSON has no decimals
        rules.append(row)
    plugins = [model_to_dict(p, PLUGIN_FIELDS) for p in integration.plugin_settings.all()]
    return {"format": EXPORT_FORMAT, "version": 1, "rules": rules, "plugins": plugins}


def parse_set(integration: Integration, raw: bytes) -> tuple[list[Rule], list[PluginSetting]]:
    """An exported set, checked as the admin checks each row; ``ValidationError`` lists what is wrong."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError(gettext("The file is larger than %(n)d bytes.") % {"n": MAX_IMPORT_BYTES})
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        # The decoder's own words ("codec can't decode byte 0xff") tell a consultant nothing.
        raise ValidationError(
            gettext("The file is not an export of rules and plugins (it is not UTF-8 JSON).")
        ) from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ValidationError(gettext("The file is not an export of rules and plugins."))
    rows_in, plugins_in = data.get("rules", []), data.get("plugins", [])
    if not isinstance(rows_in, list) or not isinstance(plugins_in, list):
        raise ValidationError(gettext("The file's rules and plugins must be lists."))
    if len(rows_in) + len(plugins_in) > MAX_IMPORT_ROWS:
        raise ValidationError(gettext("More than %(n)d rules and plugins.") % {"n": MAX_IMPORT_ROWS})
    problems: list[str] = []
    rules_out, plugins_out = [], []
    for number, row in enumerate(rows_in, start=1):
        try:
            if not isinstance(row, dict) or set(row) - set(RULE_FIELDS):
                raise ValidationError(gettext("unknown fields"))
            rule = Rule(integration=integration, **row)
            rule.full_clean(exclude=["integration"])
            rule.clean()  # full_clean skips it when a field failed; here every field passed
            rules_out.append(rule)
        except (ValidationError, TypeError, ValueError) as exc:
            problems.append(gettext("rule %(n)d: %(error)s") % {"n": number, "error": _messages(exc)})
    for number, row in enumerate(plugins_in, start=1):
        try:
            if not isinstance(row, dict) or set(row) - set(PLUGIN_FIELDS) or "plugin" not in row:
                raise ValidationError(gettext("unknown fields, or no plugin named"))
            setting = PluginSetting(integration=integration, **row)
            setting.full_clean(exclude=["integration"])
            setting.settings = validate_plugin(setting.plugin, setting.settings)
            plugins_out.append(setting)
        except SettingsError as exc:
            problems.append(gettext("plugin %(n)d: %(error)s") % {"n": number, "error": exc})
        except (ValidationError, TypeError, ValueError) as exc:
            problems.append(gettext("plugin %(n)d: %(error)s") % {"n": number, "error": _messages(exc)})
    if problems:
        raise ValidationError(problems)
    return rules_out, plugins_out


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    return str(exc)


@transaction.atomic
def replace_set(user, integration: Integration, rules: list[Rule], plugins: list[PluginSetting]) -> None:
    """The integration's rules and plugins become the imported ones; each row in the change log."""
    for old in [*integration.rules.all(), *integration.plugin_settings.all()]:
        audit.record(user, old, audit.snapshot(old), deleted=True)
        old.delete()
    for new in [*rules, *plugins]:
        new.save()
        audit.record(user, new, {})


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Exported file"))


# --- the views (on the integration admin) --------------------------------------------------------


class AlterationsAdminMixin:
    """Preview, export and import on the integration admin (``IntegrationAdmin.get_urls``)."""

    admin_site: admin.AdminSite

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self._alterations_integration(request, pk)
        try:
            count = max(1, min(PREVIEW_MAX, int(request.GET.get("n", PREVIEW_DEFAULT))))
        except ValueError:
            count = PREVIEW_DEFAULT
        error, results = "", []
        try:
            results = preview_orders(integration, count)
        except ConnectorError as exc:
            error = gettext("Visma could not be read (its VAT codes are needed): %(error)s") % {"error": exc}
        articles = request.GET.get("articles", "")[:2000]
        product_error, products = "", []
        try:
            products = preview_products(integration, count, wanted_numbers(articles))
        except (ConnectorError, P.ProtocolError) as exc:
            product_error = gettext("The products could not be read: %(error)s") % {"error": exc}
        except VismaAgent.DoesNotExist:
            product_error = gettext("The products could not be read: the integration has no Visma agent.")
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Preview of rules and plugins: %(integration)s") % {"integration": integration},
            "opts": Integration._meta,
            "integration": integration,
            "count": count,
            "results": results,
            "error": error,
            "articles": articles,
            "product_flows": [flow.label for flow in product_flows(integration)],
            "products": products,
            "product_error": product_error,
            "active": active_html(integration, request.user),
        }
        return render(request, "admin/flows/integration/preview.html", context)

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self._alterations_integration(request, pk)
        body = json.dumps(export_set(integration), indent=2, ensure_ascii=False, default=str)
        response = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="rules-and-plugins-{integration.pk}.json"'
        return response

    def import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        integration = self._alterations_integration(request, pk, change=True)
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                rules, plugins = parse_set(integration, form.cleaned_data["file"].read(MAX_IMPORT_BYTES + 1))
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                replace_set(request.user, integration, rules, plugins)
                messages.success(request, gettext("Imported: rules %(rules)d, plugins %(plugins)d.") % {
                    "rules": len(rules), "plugins": len(plugins)})  # fmt: skip
                return redirect(reverse("admin:flows_integration_change", args=[integration.pk]))
        elif request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import rules and plugins into %(integration)s") % {"integration": integration},
            "opts": Integration._meta,
            "integration": integration,
            "form": form,
        }
        return render(request, "admin/flows/integration/import.html", context)

    def _alterations_integration(self, request: HttpRequest, pk: int, change: bool = False) -> Integration:
        return integration_for(request, pk, "flows.change_rule" if change else "flows.view_rule")
