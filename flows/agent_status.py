"""Is the merchant's Visma agent reachable? A short-lived flag so a batch of orders does not each
wait for a connect timeout while the Windows machine is off, and the console can say so."""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone

from connectors.errors import ConnectorError
from flows.models import VismaAgent
from flows.modes import Flow

# Items wait this long before the agent is tried again; the first one through clears the flag.
RECHECK_SECONDS = 15.0
FLOWS_NEEDING_AGENT = {Flow.SHOP_ORDERS_TO_VISMA}


def _key(integration_id: int) -> str:
    return f"agent-offline:{integration_id}"


def mark_offline(integration_id: int, error: str) -> None:
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
    """A call to the agent just worked: clear an offline mark (one cheap UPDATE when there is none)."""
    if VismaAgent.objects.filter(integration_id=integration_id, offline_since__isnull=False).update(
        offline_since=None, last_error="", last_seen_at=timezone.now()
    ):
        cache.delete(_key(integration_id))


def check(integration) -> bool:
    """Ask the agent who it is: the heartbeat on the ``VismaAgent`` row, or the offline mark."""
    from flows.connections import Connections  # the clients need the models; imported late

    try:
        heartbeat = Connections(integration).visma.heartbeat()
    except ConnectorError as exc:
        mark_offline(integration.pk, str(exc))
        return False
    mark_online(integration.pk, **heartbeat.agent_fields())
    return True


def is_offline(integration_id: int) -> bool:
    return cache.get(_key(integration_id)) is not None
