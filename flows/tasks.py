"""Celery tasks: thin, named, and taking ids (never model objects)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from flows import heartbeats


@shared_task(name="flows.tasks.record_queue_heartbeat", bind=True, ignore_result=True)
def record_queue_heartbeat(self, queue: str) -> None:
    """Proves a worker consumes ``queue``; beat sends one a minute to each queue."""
    delivered_via = (self.request.delivery_info or {}).get("routing_key") or queue
    heartbeats.record(
        queue, worker=self.request.hostname or "", delivered_via=delivered_via, at=timezone.now()
    )
