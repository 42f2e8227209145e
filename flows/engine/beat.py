"""Celery beat for the flows: at most one scheduled run pending per integration and latency flow.

Beat ticks the orders and order-status runs of every integration every ``poll_*`` seconds,
whether or not the last tick's run has started. When the orders queue is behind (many merchants,
a slow Visma), ticks would pile up behind each other, and the worker would then do one run after
another for the same merchant with nothing new to pull. So beat sends such a run only when none
is pending: it takes a cache key per integration and flow (``cache.add``: Redis ``SET NX`` in
production, the file cache under ``VAR_DIR`` in the demo) before it sends, and the run's task gives
it back when the run ends (``run_ended``). A tick that finds the key taken is dropped, and nothing
is lost: the pending run pulls everything that arrived meanwhile, and the next tick after it sends
again.

The key expires by itself after ``HOLD_INTERVALS`` intervals (at least ``MIN_HOLD_SECONDS``), for
a run whose message was lost (a worker killed mid-run: the run task is acknowledged on receipt);
then the next tick sends again. A message that expired unrun gives the key back too (``revoked``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django_celery_beat.schedulers import DatabaseScheduler

from flows.modes import Flow

log = logging.getLogger("flows.engine.beat")

RUN_FLOW_TASK = "flows.tasks.run_flow"
# The flows whose scheduled runs are held to one pending (the orders queue's polls).
ONE_PENDING = frozenset({Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP})
HOLD_INTERVALS = 5
MIN_HOLD_SECONDS = 300
SCHEDULE = "schedule"  # the trigger of a run beat sent (runner's SyncRun.Trigger.SCHEDULE)


def pending_key(integration_id: int, flow: str) -> str:
    return f"flow-pending:{integration_id}:{flow}"


def _held_flow(task: str, kwargs: dict[str, Any]) -> tuple[int, str] | None:
    """(integration, flow) when ``task`` with ``kwargs`` is a run held to one pending."""
    if task != RUN_FLOW_TASK or kwargs.get("flow") not in ONE_PENDING:
        return None
    if kwargs.get("trigger", SCHEDULE) != SCHEDULE or "integration_id" not in kwargs:
        return None
    return int(kwargs["integration_id"]), str(kwargs["flow"])


def may_send(task: str, kwargs: dict[str, Any], every: float) -> bool:
    """Beat is about to send ``task``: False when it is a run of a flow whose run is still pending
    (the tick is dropped); otherwise True, and the run is now the pending one."""
    held = _held_flow(task, kwargs)
    if held is None:
        return True
    hold = max(MIN_HOLD_SECONDS, int(every * HOLD_INTERVALS))
    return bool(cache.add(pending_key(*held), "1", hold))


def not_sent(task: str, kwargs: dict[str, Any]) -> None:
    """The send failed (the broker did not take it), or the message expired unrun (a schedule
    saved before runs were held to one pending still has an expiry): the next tick sends again."""
    if (held := _held_flow(task, kwargs)) is not None:
        cache.delete(pending_key(*held))


def run_ended(integration_id: int, flow: str, trigger: str, *, continues: bool = False) -> None:
    """A scheduled run is over: the next tick may send another. ``continues``: the run sent its own
    follow-up (a backlog drains batch after batch), which stays the pending one."""
    if flow not in ONE_PENDING or trigger != SCHEDULE:
        return
    key = pending_key(integration_id, flow)
    if continues:
        # The follow-up holds it for a fresh period (or, if it expired meanwhile, nobody does).
        cache.touch(key, MIN_HOLD_SECONDS)
    else:
        cache.delete(key)


class Scheduler(DatabaseScheduler):
    """django-celery-beat's database scheduler that drops a tick whose run is still pending."""

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        every = getattr(getattr(entry.schedule, "run_every", None), "total_seconds", lambda: 0)()
        if not may_send(entry.task, entry.kwargs, every):
            log.info("%s: the run sent earlier is still pending; this tick is dropped", entry.name)
            return None
        try:
            return super().apply_async(entry, producer=producer, advance=advance, **kwargs)
        except Exception:
            not_sent(entry.task, entry.kwargs)
            raise
