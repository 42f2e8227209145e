"""What is wrong right now, per integration: one ``Problem`` per cause, from four grouped queries.

- Orders not in Visma (parked or failed) longer than the integration's threshold, grouped by
  cause exactly as the needs-attention work queue groups them (``flows.engine.attention``): its
  plain-language reason and its "who has to act" are the alert's.
- The Visma agent offline longer than the threshold (the merchant's Windows machine: they act).
- A flow whose last N runs all failed.
- A payout held because it does not balance (reconciliation).

Each query covers every integration at once, so a check costs the same for 1 merchant as for 500.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from flows.engine import attention
from flows.models import SyncItem, SyncRun, VismaAgent
from flows.modes import Flow
from reconciliation.models import Payout
from sharespine.alerts.models import Alert, AlertSettings

ORDER_FLOWS = (Flow.SHOP_ORDERS_TO_VISMA,)
# Failed runs further back than this do not make a streak (the history is pruned anyway).
RUNS_LOOK_BACK = timedelta(days=7)
KEY_LENGTH = 255


@dataclass
class Problem:
    integration_id: int
    kind: str
    key: str
    actor: str
    since: datetime
    count: int = 1
    data: dict = field(default_factory=dict)


def _key(*parts: object) -> str:
    """The cause as a key; a long shop value (a payment method's name) is hashed to fit."""
    key = ":".join(str(p) for p in parts)
    if len(key) <= KEY_LENGTH:
        return key
    return key[:200] + ":" + hashlib.sha256(key.encode()).hexdigest()[:40]


def waiting_orders(settings: dict[int, AlertSettings], now: datetime) -> list[Problem]:
    items = SyncItem.objects.filter(integration_id__in=list(settings), flow__in=ORDER_FLOWS)
    found = []
    for group in attention.groups(items, limit=100_000):
        if now - group.since < timedelta(minutes=settings[group.integration_id].order_wait_minutes):
            continue
        found.append(
            Problem(
                integration_id=group.integration_id,
                kind=Alert.Kind.ORDERS,
                key=_key("orders", group.flow, group.reason, group.kind, group.value),
                actor=group.actor,
                since=group.since,
                count=group.count,
                data={
                    "flow": group.flow,
                    "reason": group.reason,
                    "kind": group.kind,
                    "value": group.value,
                    "raw_value": group.raw_value,
                    "integration": group.integration,
                },
            )  # fmt: skip
        )
    return found


def agents_offline(settings: dict[int, AlertSettings], now: datetime) -> list[Problem]:
    rows = VismaAgent.objects.filter(
        integration_id__in=list(settings), offline_since__isnull=False
    ).values_list("integration_id", "offline_since", "last_error")
    found = []
    for integration_id, since, error in rows:
        if since is None or now - since < timedelta(minutes=settings[integration_id].agent_offline_minutes):
            continue
        found.append(
            Problem(
                integration_id=integration_id,
                kind=Alert.Kind.AGENT,
                key="agent",
                actor=Alert.Actor.MERCHANT,  # the program on their Windows machine, or the machine itself
                since=since,
                data={"error": error[:300]},
            )
        )
    return found


def failing_flows(settings: dict[int, AlertSettings], now: datetime) -> list[Problem]:
    """Flows whose newest N finished runs all failed (N per integration, at most 20)."""
    deepest = max((s.failed_runs for s in settings.values()), default=1)
    ranked = (
        SyncRun.objects.filter(integration_id__in=list(settings), started_at__gte=now - RUNS_LOOK_BACK)
        .exclude(status=SyncRun.Status.RUNNING)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("integration_id"), F("flow")], order_by=F("started_at").desc()
            )
        )
        .filter(rank__lte=deepest)
        .order_by("integration_id", "flow", "rank")
        .values("integration_id", "flow", "status", "started_at", "error")
    )
    runs: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in ranked:
        runs[(row["integration_id"], row["flow"])].append(row)
    found = []
    for (integration_id, flow), newest_first in runs.items():
        streak = 0
        for run in newest_first:
            if run["status"] != SyncRun.Status.FAILED:
                break
            streak += 1
        if streak < settings[integration_id].failed_runs:
            continue
        found.append(
            Problem(
                integration_id=integration_id,
                kind=Alert.Kind.RUNS,
                key=_key("runs", flow),
                actor=Alert.Actor.CONSULTANT,
                since=newest_first[streak - 1]["started_at"],
                count=streak,
                data={"flow": flow, "error": newest_first[0]["error"][:300]},
            )
        )
    return found


def unbalanced_payouts(settings: dict[int, AlertSettings], now: datetime) -> list[Problem]:
    wanted = [pk for pk, s in settings.items() if s.payouts]
    rows = Payout.objects.filter(integration_id__in=wanted, status=Payout.Status.HELD).values(
        "pk", "integration_id", "provider", "reference", "held_reason", "difference", "currency", "created_at"
    )
    return [
        Problem(
            integration_id=row["integration_id"],
            kind=Alert.Kind.PAYOUT,
            key=_key("payout", row["pk"]),
            actor=Alert.Actor.CONSULTANT,
            since=row["created_at"],
            data={
                "payout_id": row["pk"],
                "provider": row["provider"],
                "reference": row["reference"],
                "held_reason": row["held_reason"],
                "difference": str(row["difference"]),
                "currency": row["currency"],
            },
        )  # fmt: skip
        for row in rows
    ]


def current(settings: dict[int, AlertSettings], now: datetime) -> list[Problem]:
    """Every problem of the integrations in ``settings`` (those with alerts on)."""
    if not settings:
        return []
    return [
        *waiting_orders(settings, now),
        *agents_offline(settings, now),
        *failing_flows(settings, now),
        *unbalanced_payouts(settings, now),
    ]
