"""Beat schedules made from each integration's configuration (django-celery-beat rows).

One PeriodicTask per (integration, flow of its mode), named ``flow:<integration id>:<flow>``,
every ``poll_*`` seconds, on the flow's queue, and one a minute for the agent's heartbeat. Flows
the mode no longer runs are removed; a disabled integration keeps its rows but disabled, so its
schedule survives a pause.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from flows.engine import beat
from flows.models import Integration
from flows.modes import QUEUE_BY_FLOW

if TYPE_CHECKING:
    from sharespine.customers.models import Customer

RUN_FLOW_TASK = beat.RUN_FLOW_TASK
CHECK_AGENT_TASK = "flows.tasks.check_agent"
RECONCILIATION_TASK = "reconciliation.tasks.pull"


def task_name(integration_id: int, flow: str) -> str:
    return f"flow:{integration_id}:{flow}"


def parse_task_name(name: str) -> tuple[int, str] | None:
    """``task_name`` read back: (integration id, flow or job); None for a name it did not make."""
    prefix, _sep, rest = name.partition(":")
    integration_id, _sep, flow = rest.partition(":")
    if prefix != "flow" or not integration_id.isdigit():
        return None
    return int(integration_id), flow


@transaction.atomic
def sync_schedules(integration: Integration) -> list[PeriodicTask]:
    pk = integration.pk
    # name → (task, kwargs, queue, seconds between runs)
    wanted = {
        task_name(pk, flow): (RUN_FLOW_TASK, {"integration_id": pk, "flow": str(flow)}, QUEUE_BY_FLOW[flow],
                              integration.poll_interval(flow))
        for flow in integration.flows
    }  # fmt: skip
    if hasattr(integration, "agent"):
        # Every minute: the agent's heartbeat, so "agent offline" shows before an order waits for it.
        # On the bulk queue: it is a full identity call that waits for the agent's company thread,
        # and on the orders queue it took half the worker's time with 200 merchants (bench.fleet);
        # an order that meets an unreachable agent marks it offline by itself anyway.
        wanted[task_name(pk, "agent-heartbeat")] = (CHECK_AGENT_TASK, {"integration_id": pk}, "bulk", 60)
    if integration.reconciliation_enabled:
        # Payouts: the watched folder and Klarna's API every 15 minutes, then matching what is open.
        wanted[task_name(pk, "reconciliation")] = (RECONCILIATION_TASK, {"integration_id": pk}, "bulk", 900)
    tasks = []
    for name, (task_path, kwargs, queue, every) in wanted.items():
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.SECONDS)
        task, _ = PeriodicTask.objects.update_or_create(
            name=name,
            defaults={
                "task": task_path,
                "interval": interval,
                "kwargs": json.dumps(kwargs),
                "queue": queue,
                "enabled": integration.enabled,
                # A run that could not start within its own interval is dropped, not stacked up;
                # the orders queue's polls instead wait while one is pending (flows.engine.beat).
                "expire_seconds": None if kwargs.get("flow") in beat.ONE_PENDING else every,
            },
        )
        tasks.append(task)
    PeriodicTask.objects.filter(name__startswith=f"flow:{pk}:").exclude(name__in=list(wanted)).delete()
    return tasks


def drop_schedules(integration_id: int) -> None:
    PeriodicTask.objects.filter(name__startswith=f"flow:{integration_id}:").delete()


def follow_package(sender: type[Customer], customer: Customer, **kwargs: object) -> None:
    """Receiver of ``package_changed``: the package decides which of the mode's flows run."""
    for integration in customer.integrations.all():
        sync_schedules(integration)
