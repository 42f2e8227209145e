"""Pictures for the merchant's dashboard and the staff overview: orders per hour (received and in
Visma), the backlog, flow health and payouts, over the last 24 hours and the last 30 days.

Every number is an aggregate in SQL over a bounded time range of the integrations the viewer may
see (``integrations`` is always a queryset scoped by the caller): two GROUP BYs and one count for
the orders of a range, one GROUP BY for the runs, one for the payouts. The charts are drawn on the
server as SVG (pygal, no script), each with its title and a table of the same numbers for screen
readers and for anyone who would rather read.

The backlog (orders received and not yet out of the way: queued, being processed, or needing
attention) is not stored per hour; it is counted back from now: the backlog at the end of an hour is
today's backlog, less the orders received after that hour, plus those that left it after that hour
(reached Visma, or were skipped). An order's item is last changed when it reaches Visma, so its
``updated_at`` is when it left the backlog.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from xml.sax.saxutils import escape as xml_escape

import pygal
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from pygal.style import Style

from flows.models import Integration, SyncItem, SyncRun
from flows.modes import Flow
from reconciliation.models import Payout

OPEN = (SyncItem.Status.QUEUED, SyncItem.Status.PROCESSING, *SyncItem.ATTENTION)
LEFT_BACKLOG = (SyncItem.Status.DONE, SyncItem.Status.SKIPPED)

# The dashboard's colours: received blue, in Visma green, trouble red, waiting amber.
BLUE, GREEN, AMBER, RED = "#1d4ed8", "#1b7f3b", "#b45309", "#b91c1c"
STYLE: dict = dict(
    background="transparent",
    plot_background="transparent",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#cbd2da",
    font_family="system-ui, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=12,
)


@dataclass(frozen=True)
class Span:
    """A chart's time range: ``count`` buckets of one hour or one day, the newest holding now."""

    key: str
    step: str  # "hour" or "day"
    count: int

    def starts(self, now: datetime) -> list[datetime]:
        """Each bucket's start (Stockholm time), oldest first."""
        local = timezone.localtime(now)
        if self.step == "hour":
            last = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
            return [timezone.localtime(last - timedelta(hours=i)) for i in reversed(range(self.count))]
        today = local.date()
        return [
            timezone.make_aware(datetime.combine(today - timedelta(days=i), time()))
            for i in reversed(range(self.count))
        ]

    def key_of(self, moment: datetime) -> str:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H" if self.step == "hour" else "%Y-%m-%d")

    def label(self, start: datetime) -> str:
        # The day's format is translated: Swedish writes months in lower case ("4 nov"), which
        # Django's "M" (title case in every language) does not.
        day_format = pgettext("chart day label, a Django date format", "j M")
        return start.strftime("%H:00") if self.step == "hour" else formats.date_format(start, day_format)


# A flow's short name on the flow-health chart's axis; the full name is the label's tooltip and is in
# the table of numbers. The full names (up to 70 characters in Swedish) left the bars a sliver.
SHORT_FLOW_NAMES = {
    Flow.SHOP_ORDERS_TO_VISMA: gettext_lazy("Orders → Visma"),
    Flow.VISMA_ORDER_STATUS_TO_SHOP: gettext_lazy("Order status → shop"),
    Flow.SHOP_PRODUCTS_TO_VISMA: gettext_lazy("Products → Visma"),
    Flow.VISMA_PRODUCTS_TO_SHOP: gettext_lazy("Products → shop"),
    Flow.VISMA_PRICES_TO_SHOP: gettext_lazy("Prices → shop"),
    Flow.VISMA_PRICE_LISTS_TO_SHOP: gettext_lazy("Price lists → shop"),
    Flow.VISMA_STOCK_TO_SHOP: gettext_lazy("Stock → shop"),
}
# The longest axis label drawn in full on a horizontal chart; longer ones end in "…" (pygal itself
# never shortens the labels of a horizontal chart, and gives them the whole width they ask for).
LABEL_CHARS = 22

DAY = Span("24h", "hour", 24)
MONTH = Span("30d", "day", 30)


@dataclass
class Chart:
    """One picture: x labels, named series of numbers, and how to draw them."""

    key: str
    title: str
    labels: list[str]
    series: list[tuple[str, Sequence[int | Decimal]]]
    axis: str  # what the labels are: hour, day, flow
    kind: str = "bar"  # bar, line, stacked, hbar
    colours: Sequence[str] = (BLUE, GREEN)
    every: int = 1  # label every n-th x value
    empty_text: str = ""
    notes: list[str] = field(default_factory=list)
    # What the axis shows when it differs from ``labels`` (which the table of numbers and the
    # tooltips show in full).
    short_labels: list[str] | None = None

    @property
    def has_data(self) -> bool:
        return any(value for _name, values in self.series for value in values)

    @property
    def rows(self) -> list[tuple[str, list[int | Decimal]]]:
        """The same numbers as a table: one row per x value."""
        return [(label, [values[i] for _n, values in self.series]) for i, label in enumerate(self.labels)]

    def scale(self) -> list[int]:
        """Whole-number ticks, about five, up to the highest bar or stack (pygal would say 0.2 orders)."""
        columns = zip(*(values for _name, values in self.series), strict=True)
        stacked = self.kind in ("stacked", "hbar")
        top = max((sum(c) if stacked else max(c) for c in columns), default=0)
        step = max(math.ceil(top / 5), 1)
        return list(range(0, int(top) + step + 1, step)) if top else [0, 1]

    def _legend_columns(self) -> int:
        """Legend entries side by side only while the longest fits its column (pygal does not check,
        and a horizontal chart's labels leave the legend less than half the width)."""
        if self.kind == "hbar":
            return 1
        return len(self.series) if len(self.series) < 3 else 2

    @cached_property
    def svg(self) -> SafeString:
        kinds = {
            "bar": pygal.Bar,
            "line": pygal.Line,
            "stacked": pygal.StackedBar,
            "hbar": pygal.HorizontalStackedBar,
        }
        chart = kinds[self.kind](
            style=Style(**STYLE, colors=tuple(self.colours)),
            js=[],
            width=560,
            height=300 if self.kind != "hbar" else 150 + 40 * max(len(self.labels), 1),
            show_legend=True,
            legend_at_bottom=True,
            legend_at_bottom_columns=self._legend_columns(),
            truncate_legend=-1,
            show_minor_x_labels=self.every == 1,
            x_labels_major_every=self.every,
            truncate_label=-1,
            print_values=False,
            margin=8,
            spacing=6,
            min_scale=1,
            show_y_guides=self.kind != "hbar",
            show_x_guides=self.kind == "hbar",
            disable_xml_declaration=True,
            dots_size=2,
            stroke_style={"width": 2},
            no_data_text=self.empty_text or _("No data"),
        )
        shown = [_shorten(label) for label in self.short_labels or self.labels]
        chart.x_labels = shown
        chart.y_labels = self.scale()
        for name, values in self.series:
            chart.add(name, [float(v) if isinstance(v, Decimal) else v for v in values])
        drawn = chart.render(is_unicode=True)
        # pygal's inline script only configures its optional tooltips, which we do not load.
        drawn = re.sub(r"<script\b.*?</script>", "", drawn, flags=re.S)
        if self.kind == "hbar":
            drawn = _label_tooltips(drawn, shown, self.labels)
        title = escape(self.title)
        # pygal names an untitled chart "Pygal" (read out and shown on hover): ours has its title.
        drawn = drawn.replace("<title>Pygal</title>", "")
        drawn = drawn.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)
        drawn = re.sub(r"(<svg\b[^>]*>)", rf"\1<title>{title}</title>", drawn, count=1)
        return mark_safe(drawn)  # pygal's own SVG; our texts are escaped above


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _label_tooltips(drawn: str, shown: list[str], full: list[str]) -> str:
    """Give each axis label of a horizontal chart its full name as tooltip, in place of the number
    pygal puts there (the label's position on its scale, e.g. "0.0714285714")."""
    for short, name in zip(shown, full, strict=True):
        label = re.search(rf"(<text\b[^>]*>{re.escape(xml_escape(short))}</text>)<title>[^<]*</title>", drawn)
        if label is not None:
            titled = f"{label.group(1)}<title>{xml_escape(name)}</title>"
            drawn = drawn[: label.start()] + titled + drawn[label.end() :]
    return drawn


def _counts_by(queryset: QuerySet, field_name: str, span: Span, **aggregates) -> dict[str, dict]:
    """``aggregates`` of ``queryset`` per bucket of ``field_name`` (one GROUP BY)."""
    rows = (
        queryset.annotate(bucket=Trunc(field_name, span.step))
        .values("bucket")
        .annotate(**aggregates)
        .order_by()
    )
    return {span.key_of(row.pop("bucket")): row for row in rows}


def order_charts(integrations: QuerySet[Integration], span: Span, now: datetime) -> list[Chart]:
    """Orders received and in Visma per bucket, and the backlog at the end of each bucket."""
    starts = span.starts(now)
    orders = SyncItem.objects.filter(integration__in=integrations, flow=Flow.SHOP_ORDERS_TO_VISMA)
    received = _counts_by(orders.filter(created_at__gte=starts[0]), "created_at", span, n=Count("id"))
    left = _counts_by(
        orders.filter(status__in=LEFT_BACKLOG, updated_at__gte=starts[0]),
        "updated_at",
        span,
        n=Count("id"),
        in_visma=Count("id", filter=~Q(target_id="")),
    )
    keys = [span.key_of(start) for start in starts]
    received_n = [received.get(k, {}).get("n", 0) for k in keys]
    in_visma_n = [left.get(k, {}).get("in_visma", 0) for k in keys]
    left_n = [left.get(k, {}).get("n", 0) for k in keys]

    backlog = [0] * len(keys)
    waiting = orders.filter(status__in=OPEN).count()
    for i in reversed(range(len(keys))):
        backlog[i] = waiting
        waiting = max(waiting - received_n[i] + left_n[i], 0)

    labels = [span.label(start) for start in starts]
    every = 3 if span.step == "hour" else 5
    axis = _("Hour") if span.step == "hour" else _("Day")
    if span.step == "hour":
        orders_title = _("Orders per hour, last 24 hours")
        backlog_title = _("Orders waiting at the end of each hour, last 24 hours")
    else:
        orders_title = _("Orders per day, last 30 days")
        backlog_title = _("Orders waiting at the end of each day, last 30 days")
    return [
        Chart(
            f"orders-{span.key}",
            orders_title,
            labels,
            [(_("Received"), received_n), (_("In Visma"), in_visma_n)],
            axis,
            every=every,
        ),
        Chart(
            f"backlog-{span.key}",
            backlog_title,
            labels,
            [(_("Waiting or needing attention"), backlog)],
            axis,
            kind="line",
            colours=(AMBER,),
            every=every,
        ),
    ]


def flow_health_chart(integrations: QuerySet[Integration], now: datetime) -> Chart:
    """Runs of each flow in the last 24 hours: succeeded, with records needing attention, failed."""
    rows = (
        SyncRun.objects.filter(integration__in=integrations, started_at__gte=now - timedelta(hours=24))
        .exclude(status=SyncRun.Status.RUNNING)
        .values("flow", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["flow"], {})[row["status"]] = row["n"]
    flows = [flow for flow in Flow if flow.value in counts]
    statuses = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL, SyncRun.Status.FAILED)
    names = {
        SyncRun.Status.SUCCEEDED: _("Succeeded"),
        SyncRun.Status.PARTIAL: _("Some records need attention"),
        SyncRun.Status.FAILED: _("Failed"),
    }
    return Chart(
        "flow-health",
        _("Flow runs, last 24 hours"),
        [str(flow.label) for flow in flows],
        [(names[s], [counts[flow.value].get(s, 0) for flow in flows]) for s in statuses],
        _("Flow"),
        kind="hbar",
        colours=(GREEN, AMBER, RED),
        empty_text=_("No runs in the last 24 hours"),
        short_labels=[str(SHORT_FLOW_NAMES.get(flow, flow.label)) for flow in flows],
    )


def payouts_chart(integrations: QuerySet[Integration], now: datetime) -> Chart:
    """Payouts per payout day over the last 30 days, by how far reconciliation has come."""
    starts = MONTH.starts(now)
    rows = (
        Payout.objects.filter(integration__in=integrations, payout_date__gte=starts[0].date())
        .values("payout_date", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(str(row["payout_date"]), {})[row["status"]] = row["n"]
    keys = [MONTH.key_of(start) for start in starts]
    statuses = (
        (Payout.Status.POSTED, _("Posted in Visma"), GREEN),
        (Payout.Status.MATCHED, _("Matched"), BLUE),
        (Payout.Status.OPEN, _("To match"), AMBER),
        (Payout.Status.HELD, _("Held"), RED),
    )
    return Chart(
        "payouts",
        _("Payouts per day, last 30 days"),
        [MONTH.label(start) for start in starts],
        [(name, [counts.get(k, {}).get(status, 0) for k in keys]) for status, name, _c in statuses],
        _("Day"),
        kind="stacked",
        colours=[colour for _s, _n, colour in statuses],
        every=5,
        empty_text=_("No payouts in the last 30 days"),
    )


@dataclass
class Pictures:
    updated_at: datetime
    orders: list[Chart]  # 24 hours, then 30 days: orders, backlog
    flow_health: Chart
    payouts: Chart | None


def pictures(integrations: QuerySet[Integration], *, payouts: bool, now: datetime | None = None) -> Pictures:
    """Every chart for ``integrations`` (already scoped to what the viewer may see)."""
    now = now or timezone.now()
    day, month = order_charts(integrations, DAY, now), order_charts(integrations, MONTH, now)
    return Pictures(
        updated_at=now,
        # Side by side: orders 24 h | 30 d, then backlog 24 h | 30 d.
        orders=[day[0], month[0], day[1], month[1]],
        flow_health=flow_health_chart(integrations, now),
        payouts=payouts_chart(integrations, now) if payouts else None,
    )
