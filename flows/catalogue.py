"""The engine's half for catalogue flows, which move many records per cycle: products, prices,
price lists and stock.

A catalogue cycle reads its source in full or from a cursor, maps each record (pure), compares
the payload with the one last sent (its hash on ``ExternalRef``, peers-and-lessons.md P9) and
sends only what differs, in batches. What succeeds updates the hash; what fails becomes a
``SyncItem`` with its reason (failed, or parked when someone must map something), visible and
retryable in the console, and cleared when the record later goes through.

Keys: every catalogue reference is per shop, ``"<shop pk>:<article number>"`` (price lists add the
list), on both sides of ``ExternalRef``: a shop that has an article is what the ``article`` kind
says, and stock and prices are only written to articles linked that way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.utils import timezone

from connectors.errors import PermanentError
from flows.engine import Outcome, payload_hash, run_log
from flows.models import ExternalRef, Integration, SyncItem, SyncRun
from flows.payloads import dump

log = logging.getLogger("flows.catalogue")
ARTICLE_PAGE = 5000
T = TypeVar("T")


def key(shop_pk: int, *parts: object) -> str:
    return ":".join([str(shop_pk), *(str(p) for p in parts)])


@dataclass
class Change(Generic[T]):
    """One record to send: its reference key, what is hashed, and the client's typed input."""

    key: str
    article: str
    payload: dict[str, Any]
    record: T

    @property
    def hash(self) -> str:
        return payload_hash(self.payload)


@dataclass
class Problem:
    article: str
    message: str
    reason: str = "rejected"
    parked: bool = False  # a person must add or map something (vs. the target refused it)
    payload: dict[str, Any] = field(default_factory=dict)


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
        return self.hashes.get(change.key) != change.hash


@dataclass
class Tally:
    read: int = 0
    changed: int = 0
    written: int = 0
    calls: int = 0
    failed: int = 0
    would_write: int = 0

    def line(self) -> str:
        parts = [
            f"{self.read} read",
            f"{self.changed} changed",
            f"{self.written} written in {self.calls} batch(es)",
        ]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.would_write:
            parts.append(f"dry run: {self.would_write} would be written")
        return ", ".join(parts)


class Sender(Generic[T]):
    """Collects changes for one target and sends them ``batch_size`` at a time.

    ``send(batch)`` makes the call and returns the problems of the rows that did not go through;
    the rest are recorded as sent (hash), and earlier problems of those records are cleared.
    """

    def __init__(
        self,
        integration: Integration,
        run: SyncRun,
        kind: str,
        send: Callable[[list[Change[T]]], list[Problem]],
        *,
        batch_size: int,
        tally: Tally,
        dry_run: bool = False,
    ) -> None:
        self.integration = integration
        self.run = run
        self.kind = kind
        self.send = send
        self.batch_size = batch_size
        self.tally = tally
        self.dry_run = dry_run
        self.pending: list[Change[T]] = []

    def add(self, change: Change[T]) -> None:
        self.tally.changed += 1
        self.pending.append(change)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self.dry_run:
            self.tally.would_write += len(batch)
            if self.tally.would_write == len(batch):
                run_log(self.run, f"dry run, first would-be write: {batch[0].payload}")
            return
        problems = self.send(batch)
        self.tally.calls += 1
        failed = {p.article for p in problems}
        sent = [c for c in batch if c.article not in failed]
        self.tally.written += len(sent)
        self.tally.failed += len(problems)
        by_article = {c.article: c for c in batch}
        with transaction.atomic():
            record_sent(self.integration, self.kind, sent)
            clear_problems(self.integration, self.run.flow, [c.article for c in sent])
            for problem in problems:
                change = by_article.get(problem.article)
                record_problem(self.run, problem, change.payload if change else problem.payload)


@dataclass
class Target:
    """One shop as a catalogue cycle writes to it: what is linked, what was sent, and the sender."""

    shop: Any
    linked: LastSent
    last: LastSent
    sender: Sender

    def offer(self, record: Any, source: str = "", ref_key: str = "") -> None:
        """Send ``record`` if its article is linked to the shop and it differs from what the shop
        got last time. ``source`` names it in the console (default: the article number)."""
        article = record.article_number
        change = Change(ref_key or key(self.shop.pk, article), source or article, dump(record), record)
        if key(self.shop.pk, article) in self.linked and self.last.differs(change):
            self.sender.add(change)


def shop_targets(flow, run: SyncRun, kind: str, tally: Tally, send_for, shops=None) -> list[Target]:  # type: ignore[no-untyped-def]
    """A ``Target`` per shop of the flow's integration; ``send_for(client, shop)`` makes the sender."""
    integration = flow.integration
    targets = []
    for shop in shops if shops is not None else integration.shops.order_by("pk"):
        client = flow.connections.jetshop(shop)
        # One batch of changes must fit one call: stock and product changes are a row per culture,
        # and a batch the client splits over two calls, the second failing, would leave the first
        # call's rows written in the shop but not recorded as sent (and so sent again).
        per_call = max(1, client.batch_size // max(1, len(shop.culture_list)))
        sender = Sender(
            integration, run, kind, send_for(client, shop), tally=tally, batch_size=per_call,
            dry_run=not integration.live,
        )  # fmt: skip
        linked = LastSent(integration, ExternalRef.Kind.ARTICLE, shop.pk)
        targets.append(Target(shop, linked, LastSent(integration, kind, shop.pk), sender))
    return targets


def flush(targets: Iterable[Target]) -> None:
    for target in targets:
        target.sender.flush()


def record_sent(integration: Integration, kind: str, changes: Sequence[Change]) -> None:
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
                last_hash=c.hash,
                last_synced_at=now,
            )
            for c in changes
        ],
        update_conflicts=True,
        unique_fields=["integration", "kind", "shop_id"],
        update_fields=["last_hash", "last_synced_at"],
        batch_size=1000,
    )


def link(integration: Integration, kind: str, keys: Iterable[str], last_hash: str = "") -> None:
    """Mark keys as linked (the article exists on both sides) without a hash of anything sent."""
    now = timezone.now()
    ExternalRef.objects.bulk_create(
        [
            ExternalRef(
                integration=integration,
                kind=kind,
                shop_id=k,
                erp_id=k,
                last_hash=last_hash,
                last_synced_at=now,
            )
            for k in keys
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def record_problem(run: SyncRun, problem: Problem, payload: dict[str, Any]) -> None:
    """A record that did not go through: one item per version of it, so the console shows it once."""
    status = SyncItem.Status.PARKED if problem.parked else SyncItem.Status.FAILED
    SyncItem.objects.update_or_create(
        integration_id=run.integration_id,
        flow=run.flow,
        source_id=problem.article,
        source_version=payload_hash(payload)[:32],
        defaults={
            "run": run,
            "reference": problem.article,
            "payload": payload,
            "status": status,
            "reason": problem.reason,
            "last_error": problem.message,
            "result": {"kind": "article", "value": problem.article} if problem.parked else {},
        },
    )


def clear_problems(integration: Integration, flow: str, articles: Sequence[str]) -> None:
    """Records that went through now: their earlier failures are resolved."""
    if not articles:
        return
    SyncItem.objects.filter(
        integration=integration, flow=flow, status__in=SyncItem.ATTENTION, source_id__in=list(articles)
    ).update(status=SyncItem.Status.DONE, reason="resolved", updated_at=timezone.now())


def all_articles(visma) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """Every Visma article, page by page in the agent's timestamp order."""
    cursor = None
    while True:
        page = visma.articles_changed(cursor, limit=ARTICLE_PAGE)
        yield from page.items
        if len(page.items) < ARTICLE_PAGE:
            return
        cursor = page.next_cursor


def article_vat_rates(connections) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    """Article number → VAT rate in percent, from each article's VAT code (one pass over articles)."""
    rates = connections.vat_rates()
    return {a.number: rates.get(a.vat_code, Decimal(0)) for a in all_articles(connections.visma)}


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def finish(run: SyncRun, tally: Tally) -> None:
    run.pulled = tally.read
    run.queued = tally.changed
    run_log(run, tally.line())


def retry(flow, item: SyncItem, kind: str) -> Outcome:
    """The console's "retry" for one record of a catalogue flow: forget what was last sent for it
    and run the cycle for that article alone."""
    ExternalRef.objects.filter(
        integration=flow.integration, kind=kind, shop_id__endswith=f":{item.source_id}"
    ).update(last_hash="")
    run = SyncRun.objects.create(integration=flow.integration, flow=flow.flow, trigger=SyncRun.Trigger.RETRY)
    tally = flow.sync(run, {item.source_id})
    run.finished_at = timezone.now()
    run.status = SyncRun.Status.FAILED if tally.failed else SyncRun.Status.SUCCEEDED
    run.save()
    if tally.failed:
        raise PermanentError(f"{item.source_id} failed again: see run {run.pk}")
    return Outcome(target_id="", result={"retried": tally.line()})
