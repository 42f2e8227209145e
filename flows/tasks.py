"""Celery tasks: thin, named, and taking ids (never model objects).

Item tasks are idempotent (the engine claims the row first) and acknowledged late, so a worker
killed mid-item leaves a message that is delivered again; the sweeper re-queues what a dead
worker left in processing.
"""

from __future__ import annotations

from celery import shared_task, signals
from django.db import transaction
from django.utils import timezone

from flows import engine, initial_sync
from flows.engine import agent_status, beat, heartbeats, retention, runner
from flows.engine.registry import flow_class
from flows.models import InitialSync, Integration, SyncItem
from flows.modes import BULK_QUEUE, QUEUE_BY_FLOW


@shared_task(name="flows.tasks.record_queue_heartbeat", bind=True, ignore_result=True)
def record_queue_heartbeat(self, queue: str) -> None:
    """Proves a worker consumes ``queue``; beat sends one a minute to each queue."""
    delivered_via = (self.request.delivery_info or {}).get("routing_key") or queue
    heartbeats.record(
        queue, worker=self.request.hostname or "", delivered_via=delivered_via, at=timezone.now()
    )


@shared_task(name="flows.tasks.run_flow", ignore_result=True)
def run_flow(integration_id: int, flow: str, trigger: str = "schedule") -> None:
    more = False
    try:
        result = runner.run_flow(integration_id, flow, trigger)
        enqueue_items(result.item_ids, flow)
        more = result.more
        if more:
            # A backlog (after an agent outage, say) drains batch after batch, not one per tick.
            args = (integration_id, flow, trigger)
            transaction.on_commit(lambda: run_flow.apply_async(args, queue=QUEUE_BY_FLOW[flow]))
    finally:
        # Beat may send the next run of this flow now (the follow-up of a backlog is the next one).
        beat.run_ended(integration_id, flow, trigger, continues=more)


@signals.task_revoked.connect
def expired_unrun(sender=None, request=None, expired: bool = False, **kwargs) -> None:
    """A run's message that expired before a worker took it: its beat tick may send again."""
    if expired and request is not None and getattr(sender, "name", "") == beat.RUN_FLOW_TASK:
        beat.not_sent(beat.RUN_FLOW_TASK, dict(getattr(request, "kwargs", None) or {}))


@shared_task(name="flows.tasks.process_item", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def process_item(item_id: int) -> None:
    wait = runner.process_item(item_id)
    flow = SyncItem.objects.values_list("flow", flat=True).get(pk=item_id)
    if wait is not None and not getattr(flow_class(flow), "in_order", False):
        # The item waits in the database (queued, not_before), so a lost message loses nothing;
        # this message only brings it back sooner than the next run of the flow would.
        process_item.apply_async((item_id,), countdown=wait.seconds, queue=QUEUE_BY_FLOW[flow])


@shared_task(name="flows.tasks.check_agent", ignore_result=True)
def check_agent(integration_id: int) -> None:
    """The agent's heartbeat: beat asks every minute, so the console knows before an order does."""
    integration = Integration.objects.select_related("agent").filter(pk=integration_id, enabled=True).first()
    if integration is not None and hasattr(integration, "agent"):
        agent_status.check(integration)


@shared_task(name="flows.tasks.sweep_stuck", ignore_result=True)
def sweep_stuck() -> None:
    """Re-enqueue items a dead worker left in processing, and queued items whose message was lost;
    close the runs such a worker left open; pick up initial syncs whose worker died."""
    for flow, ids in _by_flow(engine.stuck_items()).items():
        # Flows processed in order inside their runs pick revived items up on their next run.
        if not getattr(flow_class(flow), "in_order", False):
            enqueue_items(ids, flow)
    engine.close_abandoned_runs()
    for sync_id, status in initial_sync.stale():
        task = apply_initial_sync if status == InitialSync.Status.APPLYING else preview_initial_sync
        task.apply_async((sync_id,), queue=BULK_QUEUE)


@shared_task(name="flows.tasks.prune_history", ignore_result=True)
def prune_history() -> None:
    """Nightly: finished work older than 90 days goes, what needs attention stays."""
    retention.prune()


@shared_task(name="flows.tasks.preview_initial_sync", ignore_result=True, acks_late=True)
def preview_initial_sync(sync_id: int) -> None:
    """Build the matching report of an initial product sync (reads both sides, writes nothing)."""
    with initial_sync.working_on(sync_id, InitialSync.Status.PREVIEWING) as sync:
        if sync is not None:
            initial_sync.build_preview(sync)


@shared_task(name="flows.tasks.apply_initial_sync", ignore_result=True, acks_late=True)
def apply_initial_sync(sync_id: int) -> None:
    """Write a stretch of an initial product sync, then hand the rest to a fresh task."""
    more = False
    with initial_sync.working_on(sync_id, InitialSync.Status.APPLYING) as sync:
        if sync is not None:
            more = initial_sync.apply_chunk(sync)
    if more:
        transaction.on_commit(lambda: apply_initial_sync.apply_async((sync_id,), queue=BULK_QUEUE))


def enqueue_items(item_ids: list[int], flow: str) -> None:
    """Enqueue after commit, on the flow's queue, in the given order."""
    if not item_ids:
        return
    queue = QUEUE_BY_FLOW[flow]

    def send() -> None:
        for item_id in item_ids:
            process_item.apply_async((item_id,), queue=queue)

    transaction.on_commit(send)


def _by_flow(item_ids: list[int]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for item_id, flow in SyncItem.objects.filter(pk__in=item_ids).order_by("id").values_list("id", "flow"):
        grouped.setdefault(flow, []).append(item_id)
    return grouped
