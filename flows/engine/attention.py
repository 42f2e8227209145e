"""Needs attention as a work queue: items grouped by cause, with who must act and the fix.

Twelve orders parked for the same missing payment mapping are one task, not twelve: the groups
come from one aggregate over the items that need attention (reason, and what is missing, from
the item's ``result``), so the page costs the same for 12 orders as for 12,000. Each group says
in plain words why (``reasons.explain``), who can fix it (the merchant in the shop or in Visma,
or the consultant in our configuration), and where: a link to the configuration form with the
missing value filled in. Items waiting for a mapping or an article go on by themselves once it
exists (the orders flow's ``parked_that_can_go``), and the group then drains without a retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.db.models import Case, Count, Max, Min, Q, QuerySet, TextField, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from flows.engine.reasons import explain
from flows.models import SyncItem
from flows.modes import Flow

MERCHANT = "merchant"
CONSULTANT = "consultant"

# Missing set-up the consultant adds in our configuration (or in the Visma codes they chose).
CONSULTANT_KINDS = {
    "payment",
    "delivery",
    "channel",
    "terms-of-payment code",
    "way-of-delivery code",
    "price list",
}
# Reasons the merchant fixes at the source: the shop's order or article data, or their Visma.
MERCHANT_REASONS = {"invalid_quantity", "invalid_order", "article_number"}
# Parked items the orders flow takes up by itself once the missing piece exists (or, for a code
# Visma refused, once the configuration gives the order another code).
DRAINS_BY_ITSELF = {"payment", "delivery", "article", "terms-of-payment code", "way-of-delivery code"}
GROUPS_SHOWN = 100


@dataclass
class Group:
    integration_id: int
    integration: str
    flow: str
    reason: str
    kind: str
    value: str
    count: int
    since: datetime
    latest: datetime
    raw_value: str = ""  # products: the VAT rate as the shop sends it (a fraction), for the item list

    def _item(self) -> SyncItem:
        """A stand-in item for ``explain``: what every item of the group has in common."""
        result = {"kind": self.kind, "value": self.value} if self.kind else {}
        return SyncItem(flow=self.flow, reason=self.reason, result=result, status=SyncItem.Status.PARKED)

    @property
    def is_account(self) -> bool:
        """Products parked for a VAT rate without an article account (their value is the rate)."""
        return self.flow == Flow.SHOP_PRODUCTS_TO_VISMA and self.reason == "needs_mapping"

    @property
    def why(self) -> str:
        if self.is_account:
            return _("VAT rate %(value)s %% has no article account mapping.") % {"value": self.value}
        return explain(self._item(), self.count)

    @property
    def what(self) -> str:
        if self.flow == Flow.SHOP_ORDERS_TO_VISMA:
            return ngettext("%(count)d order", "%(count)d orders", self.count) % {"count": self.count}
        if self.flow == Flow.VISMA_ORDER_STATUS_TO_SHOP:
            return ngettext("%(count)d order status", "%(count)d order statuses", self.count) % {
                "count": self.count
            }
        return ngettext("%(count)d article", "%(count)d articles", self.count) % {"count": self.count}

    @property
    def headline(self) -> str:
        """For example "12 orders: Payment method Swish has no mapping to a Visma terms-of-payment code."."""
        return f"{self.what}: {self.why}"

    @property
    def actor(self) -> str:
        if self.reason == "needs_mapping":
            if self.is_account or self.kind in CONSULTANT_KINDS:
                return CONSULTANT
            return MERCHANT  # an article or a VAT code or currency their Visma company lacks
        return MERCHANT if self.reason in MERCHANT_REASONS else CONSULTANT

    @property
    def actor_label(self) -> str:
        return _("the merchant") if self.actor == MERCHANT else _("the consultant")

    @property
    def drains_by_itself(self) -> bool:
        return self.reason == "needs_mapping" and (self.kind in DRAINS_BY_ITSELF and not self.is_account)

    @property
    def how_to_fix(self) -> str:
        """The merchant's part in words (they have no configuration pages to link to)."""
        if self.reason == "needs_mapping" and self.kind == "article" and self.value:
            return _("Create article %(value)s in Visma, or correct the article number in the shop.") % {
                "value": self.value
            }
        if self.reason == "needs_mapping" and self.kind == "vat":
            return _("Add a VAT code for %(value)s %% in Visma.") % {"value": self.value}
        if self.reason == "needs_mapping" and self.kind == "currency":
            return _("Set up currency %(value)s in Visma.") % {"value": self.value}
        if self.reason in MERCHANT_REASONS or self.kind == "article":
            return _("Correct the order or the article in the shop; support then retries it.")
        return ""

    @property
    def fix_url(self) -> str:
        """The configuration form that fixes the group, with the missing value filled in."""
        if self.reason == "needs_mapping" and self.kind in ("payment", "delivery"):
            query = {"integration": self.integration_id, "kind": self.kind, "shop_value": self.value}
            return reverse("admin:flows_methodmapping_add") + "?" + urlencode(query)
        if self.is_account:
            query = {"integration": self.integration_id, "vat_rate": self.value}
            return reverse("admin:flows_articleaccountmapping_add") + "?" + urlencode(query)
        if self.reason == "needs_mapping" and self.kind in CONSULTANT_KINDS:
            # Channels and the Visma codes of a channel or a mapping live on the integration's page.
            return reverse("admin:flows_integration_change", args=[self.integration_id])
        return ""

    @property
    def items_url(self) -> str:
        """The group's items in the console's item list."""
        query: dict[str, object] = {
            "integration__id__exact": self.integration_id,
            "flow__exact": self.flow,
            "reason": self.reason,
            "attention": "yes",
        }
        if self.is_account:
            query["payload__vat"] = self.raw_value
        elif self.kind:
            query.update({"result__kind": self.kind, "result__value": self.value})
        return reverse("admin:flows_syncitem_changelist") + "?" + urlencode(query)


def percent_of(fraction: object) -> Decimal | None:
    """The shop's VAT fraction ("0.25") as a percent (25); None for anything else."""
    try:
        return Decimal(str(fraction)) * 100
    except (InvalidOperation, ValueError):
        return None


def _percent_text(fraction: str) -> str:
    rate = percent_of(fraction)
    return fraction if rate is None else f"{rate.normalize():f}"


def groups(items: QuerySet[SyncItem], limit: int = GROUPS_SHOWN) -> list[Group]:
    """The items of ``items`` that need attention, grouped by integration, flow and cause; the
    largest groups first."""
    # Products without an article account group by their VAT rate, not by the article.
    account = Q(flow=Flow.SHOP_PRODUCTS_TO_VISMA, reason="needs_mapping")
    rows = (
        items.filter(status__in=SyncItem.ATTENTION)
        .annotate(
            kind=Case(
                When(account, then=Value("")),
                default=KeyTextTransform("kind", "result"),
                output_field=TextField(),
            ),
            value=Case(
                When(account, then=KeyTextTransform("vat", "payload")),
                default=KeyTextTransform("value", "result"),
                output_field=TextField(),
            ),
        )
        .values(
            "integration_id",
            "integration__name",
            "integration__customer__name",
            "flow",
            "reason",
            "kind",
            "value",
        )
        .annotate(count=Count("id"), since=Min("created_at"), latest=Max("updated_at"))
        .order_by("-count", "integration_id", "flow", "reason", "value")
    )
    found = []
    for row in rows[:limit]:
        is_account = row["flow"] == Flow.SHOP_PRODUCTS_TO_VISMA and row["reason"] == "needs_mapping"
        raw = row["value"] or ""
        found.append(
            Group(
                integration_id=row["integration_id"],
                integration=f"{row['integration__customer__name']} / {row['integration__name']}",
                flow=row["flow"],
                reason=row["reason"],
                kind=row["kind"] or "",
                value=_percent_text(raw) if is_account else raw,
                count=row["count"],
                since=row["since"],
                latest=row["latest"],
                raw_value=raw if is_account else "",
            )
        )
    return found
