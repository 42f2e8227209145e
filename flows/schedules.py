"""Beat schedules made from each integration's configuration (django-celery-beat rows).

One PeriodicTask per (integration, flow of its mode), named ``flow:<integration id>:<flow>``,
every ``poll_*`` seconds, on the flow's queue. Flows the mode no longer runs are removed; a
disabled integration keeps its rows but disabled, so its schedule survives a pause.
"""

from __future__ import annotations

import json

from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from flows.models import Integration
from flows.modes import QUEUE_BY_FLOW

RUN_FLOW_TASK = "flows.tasks.run_flow"


def task_name(integration_id: int, flow: str) -> str:
    return f"flow:{integration_id}:{flow}"


@transaction.atomic
def sync_schedules(integration: Integration) -> list[PeriodicTask]:
    wanted = set(integration.flows)
    tasks = []
    for flow in wanted:
        every = integration.poll_interval(flow)
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.SECONDS)
        task, _ = PeriodicTask.objects.update_or_create(
            name=task_name(integration.pk, flow),
            defaults={
                "task": RUN_FLOW_TASK,
                "interval": interval,
                "kwargs": json.dumps({"integration_id": integration.pk, "flow": str(flow)}),
                "queue": QUEUE_BY_FLOW[flow],
                "enabled": integration.enabled,
                # A run that could not start within its own interval is dropped, not stacked up.
                "expire_seconds": every,
            },
        )
        tasks.append(task)
    stale = PeriodicTask.objects.filter(name__startswith=f"flow:{integration.pk}:").exclude(
        name__in=[task_name(integration.pk, flow) for flow in wanted]
    )
    stale.delete()
    return tasks


def drop_schedules(integration_id: int) -> None:
    PeriodicTask.objects.filter(name__startswith=f"flow:{integration_id}:").delete()
