"""Running flows: a run pulls and stores items; each item is then processed on its own.

The tasks in ``flows/tasks.py`` call these two functions and nothing else, so tests can drive the
same code paths with or without a Celery worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.errors import ConnectorError, PermanentError, RateLimited, TransientError
from flows import agent_status, engine
from flows.connections import Connections
from flows.models import Integration, SyncItem, SyncRun
from flows.registry import flow_class, implemented

log = logging.getLogger("flows.runner")


@dataclass(frozen=True)
class RunResult:
    run_id: int | None
    item_ids: list[int]
    # The flow's items run one after another inside the run task (order matters to them).
    inline: bool = False


def run_flow(integration_id: int, flow: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> RunResult:
    """Pull new source records into items and return the ids of items ready to process, oldest first."""
    integration = Integration.objects.select_related("customer").filter(pk=integration_id).first()
    if integration is None or not (
        integration.enabled
        and integration.customer.active
        and flow in integration.flows
        and implemented(flow)
    ):
        return RunResult(None, [])
    with engine.flow_lock(integration_id, flow) as acquired:
        if not acquired:
            log.info("flow %s for integration %s is already running; skipped", flow, integration_id)
            return RunResult(None, [])
        run = engine.start_run(integration, flow, trigger)
        handler = flow_class(flow)(integration, Connections(integration))
        error = ""
        try:
            with transaction.atomic():
                engine.ingest(run, handler.pull(run), journey=getattr(handler, "journey", False))
        except ConnectorError as exc:
            # Nothing was stored, so nothing is lost: the next poll pulls the same records again.
            error = str(exc)
            engine.run_log(run, f"pull failed: {exc}")
        engine.finish_run(run, error=error or run.error)
        return RunResult(run.pk, ready_items(integration_id, flow), inline=getattr(handler, "inline", False))


def process_in_order(item_ids: list[int]) -> int:
    """Process items one by one; stop at the first that must wait, so none overtakes it.

    Returns how many were processed; the rest stay queued for the next run.
    """
    for done, item_id in enumerate(item_ids):
        if process_item(item_id) is not None:
            return done
    return len(item_ids)


def ready_items(integration_id: int, flow: str) -> list[int]:
    """Queued items whose back-off has passed, in the order they arrived."""
    now = timezone.now()
    return list(
        SyncItem.objects.filter(integration_id=integration_id, flow=flow, status=SyncItem.Status.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("id")
        .values_list("id", flat=True)
    )


def process_item(item_id: int) -> float | None:
    """Claim, map, push and record one item. Returns a back-off in seconds when it must wait."""
    item = engine.claim(item_id)
    if item is None:
        return None  # another worker has it, or it is already finished: nothing to do
    integration = item.integration
    if agent_status.is_offline(integration.pk) and item.flow in agent_status.FLOWS_NEEDING_AGENT:
        return engine.back_off(
            item, "Visma agent offline; waiting for it to return", agent_status.RECHECK_SECONDS
        )
    handler = flow_class(item.flow)(integration, Connections(integration))
    try:
        outcome = handler.process(item)
    except engine.MappingError as exc:
        engine.park(item, exc)
        return None
    except RateLimited as exc:
        return engine.back_off(item, str(exc), exc.retry_after)
    except TransientError as exc:
        if exc.system == "visma":
            agent_status.mark_offline(integration.pk, str(exc))
        return engine.back_off(item, str(exc))
    except PermanentError as exc:
        engine.fail(item, f"{exc}{': ' + exc.detail if exc.detail else ''}")
        return None
    if outcome is None:
        engine.skip(item, "unchanged")
    elif isinstance(outcome, engine.Skipped):
        engine.skip(item, outcome.reason, outcome.message)
    else:
        engine.complete(item, outcome)
    if item.flow in agent_status.FLOWS_NEEDING_AGENT:
        agent_status.mark_reachable(integration.pk)
    return None
