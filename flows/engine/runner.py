"""Running flows: a run pulls and stores items; each item is then processed on its own.

Item flows whose records must arrive in order (orders, status) process their items inside the run,
oldest first, under the run's lock; the others hand each item to a task of its own. Either way an
item is claimed, processed and recorded by ``process_item``, so the console's "retry", the
sweeper and the run all go through the same code. The tasks in ``flows/tasks.py`` call these
functions and nothing else, so tests can drive the same paths with or without a Celery worker.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation

from connectors.errors import ConnectorError, PermanentError, RateLimited, TransientError
from flows import engine, later
from flows.engine import agent_status, batch
from flows.engine.base import BatchFlow, ItemFlow
from flows.engine.connections import Connections
from flows.engine.reasons import status_count_text
from flows.engine.registry import flow_class, implemented
from flows.models import Integration, JetshopShop, SyncItem, SyncRun

log = logging.getLogger("flows.engine.runner")
# Items one run processes in order before it lets the next run (and other merchants) have a turn.
INLINE_BATCH = 500
# Items claimed together (one UPDATE … RETURNING) and, when they succeed, completed together (one
# transaction). A worker killed mid-chunk leaves them in processing, for the sweeper to revive;
# the retry finds each pushed order in Visma by its reference, so nothing is written twice.
CLAIM_CHUNK = 20
# A chunk's claims are used for this long at most, then the rest goes back and is claimed afresh:
# an item's lease (FLOWS_STUCK_AFTER_SECONDS) starts no more than this before its processing, and
# finished orders show as done within seconds when Visma is slow.
CHUNK_SECONDS = 5.0
# A chunk's bookkeeping is written while the next chunk is processed (``Completions``).
COMPLETE_BEHIND = True
# What an item's wait holds back (``Line``): everything, its shop's items, or its own order's.
HOLDS_ALL, HOLDS_SHOP, HOLDS_ORDER = "all", "shop", "order"
SCOPE_OF_REASON = {
    "agent_offline": HOLDS_ALL,
    "visma_locked": HOLDS_ALL,
    "visma_busy": HOLDS_ALL,
    "rate_limited": HOLDS_SHOP,
}
# ADK errors that mean the company is busy for everyone, not that this record is wrong:
# ADKE_EXCLUSIVE_LOCK (someone holds the company exclusively), ADKE_JOURNAL_IN_PROGRESS.
VISMA_LOCKED_CODES = frozenset({486, 560})
# Codes the HTTP layer gives when the agent did not answer (connection refused, timeout) or a
# proxy in front of it answered for it.
AGENT_UNREACHABLE_CODES = frozenset({"connection", "timeout", None, 502, 503, 504})


@dataclass(frozen=True)
class Wait:
    """An item went back to the queue: when to look again, and what it holds back meanwhile."""

    seconds: float
    scope: str = HOLDS_ORDER


@dataclass(frozen=True)
class RunResult:
    run_id: int | None
    # Items left for item tasks (flows that are not processed in order inside the run).
    item_ids: list[int]
    # The run processed a full batch in order: run again at once rather than at the next tick.
    more: bool = False


def run_flow(integration_id: int, flow: str, trigger: str = SyncRun.Trigger.SCHEDULE) -> RunResult:
    """What a run writes for later (its error, its items' errors) is in the site's language, whoever
    started it (a worker, or a consultant's "run now" in English); its log lines are kept as
    messages and shown in each reader's language (``flows.engine.later``)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _run_flow(integration_id, flow, trigger)


def _run_flow(integration_id: int, flow: str, trigger: str) -> RunResult:
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
        if isinstance(handler, BatchFlow):
            # The whole cycle (read, compare, send in batches) is the run.
            error = ""
            try:
                batch.run_cycle(handler, run)
            except ConnectorError as exc:
                error = str(exc)
                engine.run_log(run, later.gettext("cycle failed: %(error)s", error=str(exc)))
            engine.finish_run(run, error=error or run.error)
            return RunResult(run.pk, [])
        try:
            # Each page is stored (with its cursor) in a short transaction of its own, after it
            # was fetched: no remote call runs inside a transaction.
            for page in handler.pull(run):
                engine.store_page(run, page, journey=handler.journey)
        except ConnectorError as exc:
            # What was stored is kept; the rest comes with the next poll (its cursor did not move).
            engine.run_error(run, later.gettext("pull failed: %(error)s", error=str(exc)))
        left: list[int] = []
        more = False
        if handler.in_order:
            outcomes = process_in_order(ready_in_order(integration_id, flow), handler, lock)
            if outcomes:
                counts = [status_count_text(s, n) for s, n in outcomes.items()]
                engine.run_log(run, later.gettext("processed: %(counts)s", counts=counts))
            more = sum(outcomes.values()) >= INLINE_BATCH
        else:
            left = ready_items(integration_id, flow)
        engine.finish_run(run, error=run.error)
        return RunResult(run.pk, left, more)


class Line:
    """Who waits behind an item that has to wait, so one order's trouble never holds up another's.

    Items are taken oldest first. An item waiting for its own reasons (a transient error of that
    record, its back-off) holds back only the later items of the same shop order, so the events of
    one order stay in sequence (delivered before paid); throttling by one shop holds that shop's
    items; a condition of the whole Visma side (agent offline, company locked, its queue full)
    holds everything, without using up attempts.
    """

    def __init__(self) -> None:
        self.stopped = False
        self.shops: set[int | None] = set()
        self.orders: set[str] = set()

    def blocks(self, item_id: int, reference: str, shop_id: int | None) -> bool:
        return self.stopped or shop_id in self.shops or _order_key(item_id, reference) in self.orders

    def hold(self, scope: str, item_id: int, reference: str, shop_id: int | None) -> None:
        if scope == HOLDS_ALL:
            self.stopped = True
        elif scope == HOLDS_SHOP:
            self.shops.add(shop_id)
        else:
            self.orders.add(_order_key(item_id, reference))


# A queued item as the line sees it: id, its shop order's reference, its shop.
Queued = tuple[int, str, int | None]


def _order_key(item_id: int, reference: str) -> str:
    # Items without a reference (documents that did not come from the shop) hold only themselves.
    return reference or f"#{item_id}"


class Completions:
    """Completes a run's chunks in order, each while the run processes the next one.

    ``complete_many`` is bookkeeping after the writes: each of its orders is in Visma and moved on
    in the shop by then, and until it commits its items stay in processing, which a crash leaves
    to the sweeper and the retry finds by reference, as before. So on PostgreSQL a thread of its own
    (with its own connection) writes chunk k while the run makes chunk k + 1's calls, which spend
    their time waiting on the network: the run no longer waits for its own bookkeeping. At most
    one chunk is in flight, and its error surfaces when the next is handed over or the run ends.
    Inside a transaction (tests that roll back) another connection would not see the run's rows,
    so there, as on SQLite, each chunk is completed before the next.
    """

    def __init__(self) -> None:
        behind = COMPLETE_BEHIND and connection.vendor == "postgresql" and not connection.in_atomic_block
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="complete") if behind else None
        self._pending: Future[None] | None = None

    def add(self, done: list[tuple[SyncItem, engine.Outcome]]) -> None:
        self.wait()
        if not done:
            return
        for item, _ in done:  # counted as done now; written in the background
            item.status = SyncItem.Status.DONE
        if self._thread is None:
            engine.complete_many(done)
        else:
            self._pending = self._thread.submit(engine.complete_many, done)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._thread is not None:
                # The thread's own connection (``connection`` is per thread: looked up in it).
                self._thread.submit(lambda: connection.close()).result()
                self._thread.shutdown()


def process_in_order(queued: list[Queued], handler: ItemFlow, lock: engine.FlowLock | None = None) -> Counter:
    """Process items oldest first; one that must wait holds back only what it must (see ``Line``).
    ``handler``: the run's flow object, so what it looks up once (mappings, channels) serves the
    whole run.

    Items are claimed ``CLAIM_CHUNK`` at a time (one statement) and the successes of a chunk are
    completed together (one transaction): per order, the bookkeeping is a share of two commits
    instead of two of its own. Claims a chunk cannot use (the line holds them back, or the chunk
    is older than ``CHUNK_SECONDS``) go back to the queue, as if never claimed."""
    outcomes: Counter = Counter()
    line = Line()
    shops = JetshopShop.objects.in_bulk({shop_id for _, _, shop_id in queued if shop_id is not None})
    pending = deque(queued)
    completions = Completions()
    try:
        while pending and not line.stopped:
            chunk: list[Queued] = []
            while pending and len(chunk) < CLAIM_CHUNK:
                entry = pending.popleft()
                if line.blocks(*entry):
                    if line.stopped:
                        break
                    continue
                chunk.append(entry)
            # What the chunk ran out of time for is taken again, in its place in the line.
            late = _process_chunk(chunk, handler, line, shops, outcomes, lock, completions)
            pending.extendleft(reversed(late))
    finally:
        completions.close()
    return outcomes


def _process_chunk(
    chunk: list[Queued],
    handler: ItemFlow,
    line: Line,
    shops: dict[int, JetshopShop],
    outcomes: Counter,
    lock: engine.FlowLock | None,
    completions: Completions,
) -> list[Queued]:
    """Claim the chunk, process what may go, complete the successes together, release the rest.
    Returns the entries left for lack of time."""
    claimed = engine.claim_many([item_id for item_id, _, _ in chunk], handler.integration, shops)
    started = time.monotonic()
    done: list[tuple[SyncItem, engine.Outcome]] = []
    processed: list[SyncItem] = []
    late: list[Queued] = []
    try:
        handler.prepare(list(claimed.values()))
        for entry in chunk:
            item_id, reference, shop_id = entry
            item = claimed.get(item_id)
            if item is None:
                # Another worker has it, or it is finished: counted as it stands in the database.
                outcomes[SyncItem.objects.values_list("status", flat=True).get(pk=item_id)] += 1
            elif line.blocks(item_id, reference, shop_id):
                continue
            elif processed and time.monotonic() - started > CHUNK_SECONDS:
                late.append(entry)
            else:
                # The agent's offline mark is read once per chunk; within it, a failed call says so.
                wait = process_claimed(item, handler, done, agent_checked=bool(processed))
                processed.append(item)
                if wait is not None:
                    line.hold(wait.scope, item_id, reference, shop_id)
                if lock is not None:
                    lock.renew()
    finally:
        completions.add(done)
        # Claims not used (held back by the line, out of time, or an error stopped the chunk).
        engine.release(claimed.keys() - {item.pk for item in processed})
    # Counted in the status the engine left them in.
    outcomes.update(item.status for item in processed)
    return late


def ready_in_order(integration_id: int, flow: str, limit: int = INLINE_BATCH) -> list[Queued]:
    """The queue's head, oldest first, less what waits and what must wait behind it (``Line``)."""
    now = timezone.now()
    queued = (
        SyncItem.objects.filter(integration_id=integration_id, flow=flow, status=SyncItem.Status.QUEUED)
        .order_by("id")
        .values_list("id", "not_before", "reason", "reference", "shop_id")[:limit]
    )
    line = Line()
    ready: list[Queued] = []
    for item_id, not_before, reason, reference, shop_id in queued:
        if line.blocks(item_id, reference, shop_id):
            if line.stopped:
                break
            continue
        if not_before and not_before > now:
            line.hold(SCOPE_OF_REASON.get(reason, HOLDS_ORDER), item_id, reference, shop_id)
            continue
        ready.append((item_id, reference, shop_id))
    return ready


def ready_items(integration_id: int, flow: str) -> list[int]:
    """Queued items whose back-off has passed, in the order they arrived."""
    now = timezone.now()
    queued = SyncItem.objects.filter(integration_id=integration_id, flow=flow, status=SyncItem.Status.QUEUED)
    return list(queued.exclude(not_before__gt=now).order_by("id").values_list("id", flat=True))


def process_item(item_id: int) -> Wait | None:
    """Claim, map, push and record one item. Returns how long it must wait, when it must."""
    item = engine.claim(item_id)
    if item is None:
        return None  # another worker has it, or it is already finished: nothing to do
    return process_claimed(item)


def process_claimed(
    item: SyncItem,
    handler: ItemFlow | None = None,
    completions: list[tuple[SyncItem, engine.Outcome]] | None = None,
    agent_checked: bool = False,
) -> Wait | None:
    """``process_item`` after the claim; the engine leaves ``item.status`` as it stored it.
    ``completions``: a success is added there, for the caller to complete with others
    (``engine.complete_many``), instead of being completed at once. ``agent_checked``: the
    caller read the agent's offline mark for this batch already."""
    integration = item.integration
    needs_agent = item.flow in agent_status.FLOWS_NEEDING_AGENT
    if needs_agent and not agent_checked and agent_status.is_offline(integration.pk):
        engine.wait_in_line(item, "Visma agent offline; waiting for it to return")
        return Wait(agent_status.RECHECK_SECONDS, HOLDS_ALL)
    handler = handler or flow_class(item.flow)(integration, Connections(integration))
    try:
        outcome = handler.process(item)
    except engine.MappingError as exc:
        engine.park(item, exc)
        return None
    except TransientError as exc:
        return _transient(item, exc)
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
    elif completions is not None:
        completions.append((item, outcome))
    else:
        engine.complete(item, outcome)
    if needs_agent:
        agent_status.mark_reachable(integration.pk)
    return None


def _transient(item: SyncItem, exc: TransientError) -> Wait:
    """A failure that may pass: whose it is decides who waits (``Line``)."""
    if exc.system != "visma":
        if isinstance(exc, RateLimited):
            delay = engine.back_off(item, str(exc), exc.retry_after, reason="rate_limited")
            return Wait(delay, HOLDS_SHOP)
        return Wait(engine.back_off(item, str(exc)))
    if isinstance(exc, RateLimited):  # the agent's queue is full: everyone waits its Retry-After
        return Wait(engine.back_off(item, str(exc), exc.retry_after, reason="visma_busy"), HOLDS_ALL)
    if exc.code in VISMA_LOCKED_CODES:
        # The agent answered: it is Visma that is busy. Not "offline", and no attempt used up.
        engine.wait_in_line(item, f"Visma company locked: {exc}", reason="visma_locked")
        return Wait(agent_status.RECHECK_SECONDS, HOLDS_ALL)
    if exc.code in AGENT_UNREACHABLE_CODES:
        agent_status.mark_offline(item.integration_id, str(exc))
        engine.wait_in_line(item, f"Visma agent unreachable: {exc}")
        return Wait(agent_status.RECHECK_SECONDS, HOLDS_ALL)
    # An error the agent gave for this record (a 500 on this document): its own back-off.
    return Wait(engine.back_off(item, str(exc)))
