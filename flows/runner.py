"""Running flows: a run pulls and stores items; each item is then processed on its own.

Flows whose records must arrive in order (orders, status) process their items inside the run,
oldest first, under the run's lock; the others hand each item to a task of its own. Either way an
item is claimed, processed and recorded by ``process_item``, so the console's "retry", the
sweeper and the run all go through the same code. The tasks in ``flows/tasks.py`` call these
functions and nothing else, so tests can drive the same paths with or without a Celery worker.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from connectors.errors import ConnectorError, PermanentError, RateLimited, TransientError
from flows import agent_status, engine
from flows.connections import Connections
from flows.models import Integration, SyncItem, SyncRun
from flows.registry import flow_class, implemented

log = logging.getLogger("flows.runner")
# Items one run processes in order before it lets the next run (and other merchants) have a turn.
INLINE_BATCH = 500
# A back-off for these reasons means the other system is down or throttling: the line waits.
WAIT_IN_LINE = ("agent_offline", "rate_limited")


@dataclass(frozen=True)
class RunResult:
    run_id: int | None
    # Items left for item tasks (flows that are not processed in order inside the run).
    item_ids: list[int]
    # The run processed a full batch in order: run again at once rather than at the next tick.
    more: bool = False


def run_flow(integration_id: int, flow: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> RunResult:
    """Pull new source records into items; process them in order, or return their ids to enqueue."""
    integration = Integration.objects.select_related("customer").filter(pk=integration_id).first()
    if integration is None or not (
        integration.enabled
        and integration.customer.active
        and flow in integration.flows
        and implemented(flow)
    ):
        return RunResult(None, [])
    with engine.flow_lock(integration_id, flow) as lock:
        if lock is None:
            log.info("flow %s for integration %s is already running; skipped", flow, integration_id)
            return RunResult(None, [])
        run = engine.start_run(integration, flow, trigger)
        handler = flow_class(flow)(integration, Connections(integration))
        error = ""
        if hasattr(handler, "sync"):
            # Catalogue flows: the whole cycle (read, compare, send in batches) is the run.
            try:
                handler.sync(run)
            except ConnectorError as exc:
                error = str(exc)
                engine.run_log(run, f"cycle failed: {exc}")
            engine.finish_run(run, error=error or run.error)
            return RunResult(run.pk, [])
        try:
            with transaction.atomic():
                engine.ingest(run, handler.pull(run), journey=getattr(handler, "journey", False))
        except ConnectorError as exc:
            # Nothing was stored, so nothing is lost: the next poll pulls the same records again.
            error = str(exc)
            engine.run_log(run, f"pull failed: {exc}")
        left: list[int] = []
        more = False
        if getattr(handler, "inline", False):
            outcomes = process_in_order(ready_in_order(integration_id, flow), lock)
            if outcomes:
                engine.run_log(run, "processed: " + ", ".join(f"{n} {s}" for s, n in outcomes.items()))
            more = sum(outcomes.values()) >= INLINE_BATCH
        else:
            left = ready_items(integration_id, flow)
        engine.finish_run(run, error=error or run.error)
        return RunResult(run.pk, left, more)


def process_in_order(item_ids: list[int], lock: engine.FlowLock | None = None) -> Counter:
    """Process items one by one; stop at the first that must wait, so none overtakes it."""
    outcomes: Counter = Counter()
    for item_id in item_ids:
        item = engine.claim(item_id)
        waits = item is not None and process_claimed(item) is not None
        # Counted in the status the engine left it in; one not claimed (another worker has it,
        # or it is finished) as it stands in the database.
        status = item.status if item else SyncItem.objects.values_list("status", flat=True).get(pk=item_id)
        outcomes[status] += 1
        if waits:
            break
        if lock is not None:
            lock.renew()
    return outcomes


def ready_in_order(integration_id: int, flow: str, limit: int = INLINE_BATCH) -> list[int]:
    """The queue's head, oldest first. An item waiting because its system is down holds the line;
    one waiting for its own reasons (a transient error of that record) lets the others pass."""
    now = timezone.now()
    queued = (
        SyncItem.objects.filter(integration_id=integration_id, flow=flow, status=SyncItem.Status.QUEUED)
        .order_by("id")
        .values_list("id", "not_before", "reason")[:limit]
    )
    ready = []
    for item_id, not_before, reason in queued:
        if not_before and not_before > now:
            if reason in WAIT_IN_LINE:
                break
            continue
        ready.append(item_id)
    return ready


def ready_items(integration_id: int, flow: str) -> list[int]:
    """Queued items whose back-off has passed, in the order they arrived."""
    now = timezone.now()
    queued = SyncItem.objects.filter(integration_id=integration_id, flow=flow, status=SyncItem.Status.QUEUED)
    return list(queued.exclude(not_before__gt=now).order_by("id").values_list("id", flat=True))


def process_item(item_id: int) -> float | None:
    """Claim, map, push and record one item. Returns a back-off in seconds when it must wait."""
    item = engine.claim(item_id)
    if item is None:
        return None  # another worker has it, or it is already finished: nothing to do
    return process_claimed(item)


def process_claimed(item: SyncItem) -> float | None:
    """``process_item`` after the claim; the engine leaves ``item.status`` as it stored it."""
    integration = item.integration
    needs_agent = item.flow in agent_status.FLOWS_NEEDING_AGENT
    if needs_agent and agent_status.is_offline(integration.pk):
        engine.wait_in_line(item, "Visma agent offline; waiting for it to return")
        return agent_status.RECHECK_SECONDS
    handler = flow_class(item.flow)(integration, Connections(integration))
    try:
        outcome = handler.process(item)
    except engine.MappingError as exc:
        engine.park(item, exc)
        return None
    except RateLimited as exc:
        return engine.back_off(item, str(exc), exc.retry_after, reason="rate_limited")
    except TransientError as exc:
        if exc.system == "visma":
            agent_status.mark_offline(integration.pk, str(exc))
            engine.wait_in_line(item, f"Visma agent unreachable: {exc}")
            return agent_status.RECHECK_SECONDS
        return engine.back_off(item, str(exc))
    except PermanentError as exc:
        engine.fail(item, f"{exc}{': ' + exc.detail if exc.detail else ''}")
        return None
    except Exception as exc:
        # A bug met by one record must not leave it in processing for the sweeper to loop over,
        # nor stop the records behind it: fail it visibly, with the trace in the log.
        log.exception("item %s failed unexpectedly", item.pk)
        engine.fail(item, f"internal error: {type(exc).__name__}: {exc}", reason="internal_error")
        return None
    if isinstance(outcome, engine.Skipped):
        engine.skip(item, outcome.reason, outcome.message)
    else:
        engine.complete(item, outcome)
    if needs_agent:
        agent_status.mark_reachable(integration.pk)
    return None
