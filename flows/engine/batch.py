"""The engine's half for batch flows (``flows.engine.base.BatchFlow``): products, prices, price
lists and stock.

A cycle reads its source in full or from a cursor, maps each record for each shop (pure), compares
the payload with the one last sent (its hash on ``ExternalRef``, peers-and-lessons.md P9) and
sends only what differs, in batches. What succeeds updates the hash; what fails becomes a
``SyncItem`` with its reason (failed, or parked when someone must map something), visible and
retryable in the console, and cleared when the record later goes through. All of that
bookkeeping is here; the flows only read, map and send.

Keys: every catalogue reference is per shop, ``"<shop pk>:<article number>"`` (price lists add the
list), on both sides of ``ExternalRef``: a shop that has an article is what the ``article`` kind
says, and stock and prices are only written to articles linked that way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from connectors.errors import PermanentError
from connectors.visma import protocol as P
from connectors.visma.client import VismaClient
from flows import engine, later
from flows.engine import Outcome, metered, payload_hash, run_log
from flows.engine.base import BatchFlow, Change, Problem
from flows.engine.connections import Connections
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem, SyncRun

log = logging.getLogger("flows.engine.batch")
ARTICLE_PAGE = 5000
T = TypeVar("T")


def key(shop_pk: int, *parts: object) -> str:
    return ":".join([str(shop_pk), *(str(p) for p in parts)])


def hash_of(change: Change) -> str:
    return payload_hash(change.payload)


class LastSent:
    """The hashes last sent for one kind (optionally one shop), loaded once per cycle."""

    def __init__(self, integration: Integration, kind: str, shop_pk: int | None = None) -> None:
        refs = ExternalRef.objects.filter(integration=integration, kind=kind)
        if shop_pk is not None:
            refs = refs.filter(shop_id__startswith=f"{shop_pk}:")
        self.hashes: dict[str, str] = dict(refs.values_list("shop_id", "last_hash").iterator(chunk_size=5000))

    def __contains__(self, ref_key: str) -> bool:
        return ref_key in self.hashes

    def differs(self, change: Change) -> bool:
        return self.hashes.get(change.key) != hash_of(change)


@dataclass
class Tally:
    read: int = 0
    changed: int = 0
    written: int = 0
    calls: int = 0
    failed: int = 0
    would_write: int = 0

    def line(self) -> later.Text:
        """The cycle's log line (in the language of whoever reads the run)."""
        parts = [
            later.ngettext("%(count)d read", "%(count)d read", self.read, count=self.read),
            later.ngettext("%(count)d changed", "%(count)d changed", self.changed, count=self.changed),
            later.ngettext(
                "%(count)d written in %(calls)d batch",
                "%(count)d written in %(calls)d batches",
                self.calls,
                count=self.written,
                calls=self.calls,
            ),
        ]
        if self.failed:
            parts.append(
                later.ngettext("%(count)d failed", "%(count)d failed", self.failed, count=self.failed)
            )
        if self.would_write:
            parts.append(
                later.ngettext(
                    "dry run: %(count)d would be written",
                    "dry run: %(count)d would be written",
                    self.would_write,
                    count=self.would_write,
                )
            )
        return later.Text("%(parts)s", {"parts": parts})  # the parts joined; nothing to translate


class Target:
    """One shop as a cycle writes to it: what is linked, what was sent, and the batch being filled."""

    def __init__(self, flow: BatchFlow, run: SyncRun, shop: JetshopShop, tally: Tally) -> None:
        self.flow = flow
        self.run = run
        self.shop = shop
        self.tally = tally
        integration = flow.integration
        self.linked = LastSent(integration, ExternalRef.Kind.ARTICLE, shop.pk) if flow.linked_only else None
        self.last = LastSent(integration, flow.kind, shop.pk)
        self.batch_size = flow.batch_size(shop)
        self.pending: list[Change] = []

    def offer(self, change: Change) -> None:
        """Queue ``change`` if its article is linked to the shop and it differs from what the shop
        got last time."""
        if self.linked is not None and key(self.shop.pk, change.article) not in self.linked:
            return
        if change.only_if_sent_before and change.key not in self.last:
            return
        if not self.last.differs(change):
            return
        self.tally.changed += 1
        self.pending.append(change)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def refuse(self, problem: Problem) -> None:
        """A record the map could not turn into a change: visible in the console."""
        if problem.status != SyncItem.Status.SKIPPED:
            self.tally.failed += 1
        record_problem(self.run, problem)

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.flow.dry_run:
            self.tally.would_write += len(batch)
            if self.tally.would_write == len(batch):
                run_log(
                    self.run,
                    later.gettext("dry run, first would-be write: %(payload)s", payload=batch[0].payload),
                )
            return
        problems = self.flow.send(self.shop, batch)
        self.tally.calls += 1
        failed = {p.source for p in problems}
        sent = [c for c in batch if c.source not in failed]
        self.tally.written += len(sent)
        self.tally.failed += len(problems)
        by_source = {c.source: c for c in batch}
        with transaction.atomic():
            record_sent(self.flow.integration, self.flow.kind, sent)
            clear_problems(self.flow.integration, self.run.flow, [c.source for c in sent])
            for problem in problems:
                change = by_source.get(problem.source)
                record_problem(self.run, problem, change.payload if change else None)


def run_cycle(flow: BatchFlow, run: SyncRun, only: set[str] | None = None) -> Tally:
    """One cycle of a batch flow: read → map per shop → send what changed, in batches."""
    tally = Tally()
    context = flow.look_up(run, only)
    targets = [Target(flow, run, shop, tally) for shop in flow.shops()]
    for record in flow.read(run, context, only):
        tally.read += 1
        for target in targets:
            mapped = flow.map(record, target.shop, context)
            if isinstance(mapped, Problem):
                target.refuse(mapped)
            elif mapped is not None:
                target.offer(mapped)
    for target in targets:
        target.flush()
    if only is None:
        flow.done(run, context, only)
    run.pulled = tally.read
    run.queued = tally.changed
    run_log(run, tally.line())
    return tally


def retry(flow: BatchFlow, item: SyncItem) -> Outcome:
    """The console's "retry" for one record of a batch flow: forget what was last sent for it and
    run a cycle for that record alone, which reads only that record."""
    ExternalRef.objects.filter(
        integration=flow.integration, kind=flow.kind, shop_id__endswith=f":{item.source_id}"
    ).update(last_hash="")
    run = engine.start_run(flow.integration, flow.flow, SyncRun.Trigger.RETRY)
    tally = run_cycle(flow, run, {item.source_id})
    engine.finish_run(run, error=f"{item.source_id} failed again" if tally.failed else "")
    if tally.failed:
        raise PermanentError(f"{item.source_id} failed again: see run {run.pk}")
    return Outcome(target_id="", result={"retried": str(tally.line())})


@transaction.atomic
def record_sent(integration: Integration, kind: str, changes: Sequence[Change]) -> None:
    """What was sent is remembered (its hash) and its articles counted, in one transaction."""
    if not changes:
        return
    now = timezone.now()
    ExternalRef.objects.bulk_create(
        [
            ExternalRef(
                integration=integration,
                kind=kind,
                shop_id=c.key,
                erp_id=c.key,
                last_hash=hash_of(c),
                last_synced_at=now,
            )
            for c in changes
        ],
        update_conflicts=True,
        unique_fields=["integration", "kind", "shop_id"],
        update_fields=["last_hash", "last_synced_at"],
        batch_size=1000,
    )
    metered.count_sent(integration, changes)


def link(integration: Integration, kind: str, keys: Iterable[str], last_hash: str = "") -> None:
    """Mark keys as linked (the article exists on both sides) without a hash of anything sent. A
    key already linked, or whose Visma side another key holds, is left as it is."""
    now = timezone.now()
    keys = list(dict.fromkeys(keys))
    if connection.vendor != "postgresql":
        refs = [
            ExternalRef(integration=integration, kind=kind, shop_id=k, erp_id=k, last_hash=last_hash,
                        last_synced_at=now)
            for k in keys
        ]  # fmt: skip
        ExternalRef.objects.bulk_create(refs, ignore_conflicts=True, batch_size=1000)
        return
    # ON CONFLICT names the shop side: the Visma side's constraint is checked at the statement's
    # end (migration 0019), and no ON CONFLICT may name such a constraint, nor go without a name.
    table = connection.ops.quote_name(ExternalRef._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (integration_id, kind, shop_id, erp_id, last_hash, last_synced_at) "
            "SELECT %s, %s, k.key, k.key, %s, %s FROM jsonb_array_elements_text(%s::jsonb) AS k(key) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS o WHERE o.integration_id = %s AND o.kind = %s "
            "AND o.erp_id = k.key) ON CONFLICT (integration_id, kind, shop_id) DO NOTHING",
            [integration.pk, kind, last_hash, now, json.dumps(keys), integration.pk, kind],
        )


def record_problem(run: SyncRun, problem: Problem, payload: dict[str, Any] | None = None) -> None:
    """A record that did not go through: one item per version of it, so the console shows it once."""
    payload = payload if payload is not None else problem.payload
    SyncItem.objects.update_or_create(
        integration_id=run.integration_id,
        flow=run.flow,
        source_id=problem.source,
        source_version=payload_hash(payload)[:32],
        defaults={
            "run": run,
            "reference": problem.article or problem.source,
            "payload": payload,
            "payload_hash": payload_hash(payload),
            "status": problem.status,
            "reason": problem.reason,
            "last_error": problem.message,
            "result": {"kind": "article", "value": problem.source}
            if problem.status == SyncItem.Status.PARKED
            else {},
        },
    )


def clear_problems(integration: Integration, flow: str, sources: Sequence[str]) -> None:
    """Records that went through now: their earlier failures are resolved."""
    if not sources:
        return
    SyncItem.objects.filter(
        integration=integration, flow=flow, status__in=SyncItem.ATTENTION, source_id__in=list(sources)
    ).update(status=SyncItem.Status.DONE, reason="resolved", last_error="", updated_at=timezone.now())


def all_articles(visma: VismaClient) -> Iterator[P.Article]:
    """Every Visma article, page by page in the agent's timestamp order."""
    cursor = None
    while True:
        page = visma.articles_changed(cursor, limit=ARTICLE_PAGE)
        yield from page.items
        if len(page.items) < ARTICLE_PAGE:
            return
        cursor = page.next_cursor


def article_vat_rates(connections: Connections, only: Iterable[str] | None = None) -> dict[str, Decimal]:
    """Article number → VAT rate in percent, from each article's VAT code: one pass over the
    articles, or a read of each article in ``only``."""
    rates = connections.vat_rates()
    visma = connections.visma
    if only is None:
        articles = all_articles(visma)
    else:
        articles = (a for a in (visma.get_article(n) for n in sorted(only)) if a is not None)
    return {a.number: rates.get(a.vat_code, Decimal(0)) for a in articles}


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
