"""``python manage.py agent_gateway``: the process Visma agents connect out to (Procfile ``gateway``).

The gateway itself (``connectors.visma.gateway.server``) knows nothing of Django; this entry gives it
each agent's secret (decrypted from its ``VismaAgent`` row, outbound ones only; a key id names one
row) and keeps each agent's row up to date: connected since, last seen and the round trip of the
last ping while connected; offline since (the dashboard's "agent offline since") when its
connection ends and no other gateway holds it.
Run as many as you like behind one address: a request reaches whichever holds the agent.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.models import QuerySet
from django.utils import timezone

from connectors.visma.gateway.server import Events, Gateway
from flows.engine import agent_status
from flows.engine.connections import gateway_broker
from flows.models import VismaAgent

log = logging.getLogger("flows.agent_gateway")


def _outbound(key: str) -> QuerySet[VismaAgent]:
    return VismaAgent.objects.filter(key_id=key, mode=VismaAgent.Mode.OUTBOUND)


def outbound_secret(key: str) -> str | None:
    """The secret of the one outbound agent with this key id (unique: ``VismaAgent.key_id``)."""
    agent = _outbound(key).only("secret").first()
    return agent.secret.reveal() if agent is not None and agent.secret else None


def secret_of(key: str) -> str | None:
    close_old_connections()
    return outbound_secret(key)


class AgentRows(Events):
    """The gateway's events, written on the agents' rows (called on the gateway's worker threads)."""

    def connected(self, key: str, remote: str) -> None:
        close_old_connections()
        for integration_id in _outbound(key).values_list("integration_id", flat=True):
            agent_status.mark_online(integration_id)
        _outbound(key).update(connected_since=timezone.now())

    def disconnected(self, key: str) -> None:
        close_old_connections()
        for integration_id in _outbound(key).values_list("integration_id", flat=True):
            agent_status.mark_offline(integration_id, "the agent's connection to the gateway ended")
        _outbound(key).update(connected_since=None, round_trip_ms=None)

    def seen(self, key: str, round_trip_ms: float | None) -> None:
        close_old_connections()
        fields: dict[str, object] = {"last_seen_at": timezone.now()}
        if round_trip_ms is not None:
            fields["round_trip_ms"] = round(round_trip_ms, 2)
        _outbound(key).update(**fields)

    def refused(self, key: str, remote: str, reason: str) -> None:
        close_old_connections()
        _outbound(key).update(last_error=f"gateway refused a connection from {remote}: {reason}"[:500])


class Command(BaseCommand):
    help = "Run the agent gateway: Visma agents connect out to it (WebSocket)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8030)
        parser.add_argument("--refresh", type=float, default=10.0, help="seconds between claim refreshes")
        parser.add_argument("--ping", type=float, default=10.0, help="seconds between heartbeats")

    def handle(self, *args, host: str, port: int, refresh: float, ping: float, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        gateway = Gateway(
            gateway_broker(),
            secret_of,
            events=AgentRows(),
            refresh_seconds=refresh,
            ping_interval=ping,
            ping_timeout=2 * ping,
        )
        asyncio.run(_serve(gateway, host, port))


async def _serve(gateway: Gateway, host: str, port: int) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, task.cancel)  # type: ignore[union-attr]
    try:
        await gateway.run(host, port)
    except asyncio.CancelledError:
        log.info("agent gateway stopped")
