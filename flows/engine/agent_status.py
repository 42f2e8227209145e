"""Is the merchant's Visma agent reachable? A short-lived flag so a batch of orders does not each
wait for a connect timeout while the Windows machine is off, and the console can say so."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.utils import timezone

from connectors.errors import ConnectorError
from flows.models import VismaAgent
from flows.modes import Flow

# Items wait this long before the agent is tried again; the first one through clears the flag.
RECHECK_SECONDS = 15.0
REACHABLE_MEMO_SECONDS = 60.0
_confirmed: dict[int, float] = {}  # integration → when this process last cleared its offline mark
FLOWS_NEEDING_AGENT = {Flow.SHOP_ORDERS_TO_VISMA}


def _key(integration_id: int) -> str:
    return f"agent-offline:{integration_id}"


def mark_offline(integration_id: int, error: str) -> None:
    _confirmed.pop(integration_id, None)
    cache.set(_key(integration_id), error, RECHECK_SECONDS)
    VismaAgent.objects.filter(integration_id=integration_id, offline_since__isnull=True).update(
        offline_since=timezone.now()
    )
    VismaAgent.objects.filter(integration_id=integration_id).update(last_error=error[:500])


def mark_online(integration_id: int, **heartbeat) -> None:
    cache.delete(_key(integration_id))
    VismaAgent.objects.filter(integration_id=integration_id).update(
        offline_since=None, last_error="", last_seen_at=timezone.now(), **heartbeat
    )


def mark_reachable(integration_id: int) -> None:
    """A call to the agent just worked: clear an offline mark.

    At most once a minute per process: an order stream would otherwise pay an UPDATE per order,
    and the minute's heartbeat clears the mark anyway.
    """
    now = time.monotonic()
    if now - _confirmed.get(integration_id, -REACHABLE_MEMO_SECONDS) < REACHABLE_MEMO_SECONDS:
        return
    _confirmed[integration_id] = now
    if VismaAgent.objects.filter(integration_id=integration_id, offline_since__isnull=False).update(
        offline_since=None, last_error="", last_seen_at=timezone.now()
    ):
        cache.delete(_key(integration_id))


def check(integration) -> bool:
    """Ask the agent who it is: the heartbeat on the ``VismaAgent`` row, or the offline mark."""
    from flows.engine.connections import Connections  # the clients need the models; imported late

    try:
        heartbeat = Connections(integration).visma.heartbeat()
    except ConnectorError as exc:
        mark_offline(integration.pk, str(exc))
        return False
    mark_online(integration.pk, **heartbeat.agent_fields())
    return True


def is_offline(integration_id: int) -> bool:
    return cache.get(_key(integration_id)) is not None
