"""What the merchant's integration page says: is everything flowing, today's orders, what needs
their action (and what their consultant is fixing), and whether the Visma agent is reachable.

Every query is bounded: one or two indexed look-ups per flow (at most seven flows), one
aggregate over the integration's order items, and one grouped aggregate over the items that
need attention (one line per cause, not per item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows import later
from flows.engine import attention
from flows.models import Integration, OlderOrders, SyncItem, SyncRun
from flows.modes import Flow

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# A flow is late when its last good run is older than this many poll intervals (plus a margin for
# a busy worker): beat starts one every interval, so three missed in a row is not chance.
LATE_AFTER_INTERVALS = 3
LATE_MARGIN = timedelta(minutes=2)


@dataclass
class FlowState:
    flow: Flow
    state: str  # ok, late, failing, never, held
    last_ok_at: datetime | None = None
    error: str = ""

    @property
    def label(self) -> StrOrPromise:
        return {
            "ok": _("flowing"),
            "late": _("late"),
            "failing": _("last run failed"),
            "never": _("not run yet"),
            "held": _("waiting for the Visma agent"),
        }[self.state]


@dataclass
class Status:
    flows: list[FlowState]
    orders_today: dict[str, int]
    needs_action: list[attention.Group]  # the merchant must act
    consultant_fixing: list[attention.Group]  # only the consultant (or support) can fix these
    orders_waiting: int
    agent_offline_since: datetime | None = None
    agent_error: str = ""
    # The agent has never answered (a new merchant whose agent is not installed yet).
    agent_never_seen: bool = False
    # Shops with orders in a trigger status placed before the look-back window (never fetched).
    older_orders: list[OlderOrders] = field(default_factory=list)

    @property
    def needs_action_count(self) -> int:
        return sum(group.count for group in self.needs_action)

    @property
    def merchant_must_act(self) -> bool:
        """The agent runs on the merchant's own computer: only they can start it again."""
        return bool(self.needs_action) or self.agent_offline_since is not None

    @property
    def all_well(self) -> bool:
        return (
            not self.needs_action
            and not self.consultant_fixing
            and self.agent_offline_since is None
            and not self.older_orders
            and all(f.state == "ok" for f in self.flows)
        )


def flow_states(integration: Integration, now: datetime, *, agent_offline: bool = False) -> list[FlowState]:
    """Every flow reads or writes Visma, so while the agent is offline none of them is "flowing",
    whatever its last run said: orders pile up behind it."""
    states = []
    for flow in integration.flows:
        runs = SyncRun.objects.filter(integration=integration, flow=flow).exclude(
            status=SyncRun.Status.RUNNING
        )
        last = runs.order_by("-started_at").values("status", "error", "log", "finished_at").first()
        if last is None:
            states.append(FlowState(flow, "never"))
            continue
        ok = (
            runs.filter(status__in=[SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL])
            .order_by("-started_at")
            .values_list("finished_at", flat=True)
            .first()
        )
        late_after = timedelta(seconds=integration.poll_interval(flow) * LATE_AFTER_INTERVALS) + LATE_MARGIN
        if agent_offline:
            state = "held"
        elif last["status"] == SyncRun.Status.FAILED:
            state = "failing"
        elif ok is None or now - ok > late_after:
            state = "late"
        else:
            state = "ok"
        # The log keeps the errors as messages: the reader's language (old runs: the error as written).
        error = ("; ".join(later.errors(last["log"])) or last["error"]) if state == "failing" else ""
        states.append(FlowState(flow, state, ok, error))
    return states


def orders_today(integration: Integration, now: datetime) -> dict[str, int]:
    """Orders received since midnight (Swedish time) and where they are now."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return SyncItem.objects.filter(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, created_at__gte=midnight
    ).aggregate(
        received=Count("id"),
        in_visma=Count("id", filter=Q(status=SyncItem.Status.DONE) & ~Q(target_id="")),
        waiting=Count("id", filter=Q(status__in=[SyncItem.Status.QUEUED, SyncItem.Status.PROCESSING])),
        needs_action=Count("id", filter=Q(status__in=SyncItem.ATTENTION)),
    )


def integration_status(integration: Integration, now: datetime | None = None) -> Status:
    now = now or timezone.now()
    groups = attention.groups(SyncItem.objects.filter(integration=integration))
    agent = getattr(integration, "agent", None)
    offline_since = agent.offline_since if agent else None
    return Status(
        flows=flow_states(integration, now, agent_offline=offline_since is not None),
        orders_today=orders_today(integration, now),
        needs_action=[group for group in groups if group.actor == attention.MERCHANT],
        consultant_fixing=[group for group in groups if group.actor == attention.CONSULTANT],
        orders_waiting=SyncItem.objects.filter(
            integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status=SyncItem.Status.QUEUED
        ).count(),
        agent_offline_since=offline_since,
        agent_error=agent.last_error if agent else "",
        agent_never_seen=agent is not None and agent.last_seen_at is None,
        older_orders=[
            o
            for o in OlderOrders.objects.filter(shop__integration=integration).select_related("shop")
            if o.orders and not o.fetch_pending
        ],
    )
