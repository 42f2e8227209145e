"""The initial product sync: match both catalogues by article number, show what would happen,
then write it, resumably (peers-and-lessons.md C7).

1. Preview (writes nothing): every article of the source side is matched with the target side by
   article number: matched and equal, matched with conflicting fields (listed), only in the
   source, only in the target. The report keeps the counts and the first examples of each.
2. Apply, on the bulk queue: source order by article number, in batches. Articles equal on both
   sides are only linked; the others are written (the source wins a conflict) and linked, with
   the hash of what was sent, so the regular products flow carries on without writing them again.
   Each task works for ``CHUNK_SECONDS`` and hands the rest to a new task: other merchants' bulk
   work and this merchant's orders (on their own queue) keep moving.
3. Resume: the checkpoint (last article of the last finished batch) and the batch in flight are
   saved before each write. After a crash the batch in flight is read back from the target first,
   and only what did not arrive is written again, so each article is written once.

Products shop → Visma only in the source → target direction; products only in the target are
reported, never deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.errors import ConnectorError, TransientError
from connectors.jetshop.records import ProductInput
from connectors.visma import protocol as P
from flows import engine, later
from flows.engine import batch, dispatch
from flows.engine.base import Change, Problem
from flows.engine.connections import Connections
from flows.engine.payloads import dump, load
from flows.models import ArticleAccountMapping, ExternalRef, InitialSync, InitialSyncEntry, SyncItem, SyncRun
from flows.modes import BULK_QUEUE, Flow
from flows.order_mapping import percent
from flows.shop_products_to_visma import article_input, put_articles
from flows.visma_products_to_shop import base_prices, product_rows, write_products

log = logging.getLogger("flows.initial_sync")
BATCH = 100
CHUNK_SECONDS = 30.0
EXAMPLES = 50


@dataclass
class Entry:
    """One article as the source has it, and what the target has under the same number."""

    article: str
    source: dict[str, str]  # compared fields
    target: dict[str, str] | None
    change: Change | None  # what apply writes (None: the source record cannot be written)
    problem: Problem | None = None

    @property
    def conflicts(self) -> list[str]:
        if self.target is None:
            return []
        return [name for name, value in self.source.items() if self.target.get(name, "") != value]

    @property
    def needs_write(self) -> bool:
        return self.change is not None and (self.target is None or bool(self.conflicts))


def _fields(name: str, ean: str, vat: Decimal | None = None) -> dict[str, str]:
    out = {"name": name or "", "ean": ean or ""}
    if vat is not None:
        out["vat"] = f"{percent(vat)} %"
    return out


class VismaToShop:
    """Visma's web-shop articles into one shop (ERP mode's catalogue)."""

    flow = Flow.VISMA_PRODUCTS_TO_SHOP

    def __init__(self, sync: InitialSync, connections: Connections) -> None:
        self.sync = sync
        self.shop = sync.shop
        self.client = connections.jetshop(sync.shop)
        self.connections = connections

    def entries(self) -> tuple[list[Entry], int]:
        visma = self.connections.visma
        culture = self.shop.culture_list[0]
        shop_products = {p.article_number: p for p in self.client.iter_products_changed(None, culture)}
        rates = self.connections.vat_rates()
        articles = [a for a in batch.all_articles(visma) if a.webshop]
        integration = self.sync.integration
        prices = base_prices(visma, integration, {a.number: a for a in articles}, rates)
        entries = []
        for article in sorted(articles, key=lambda a: a.number):
            rate = rates.get(article.vat_code, Decimal(0))
            rows = product_rows(article, self.shop.culture_list, prices.get(article.number), rate)
            existing = shop_products.pop(article.number, None)
            entries.append(
                Entry(
                    article.number,
                    _fields(article.name, article.bar_code, rate / 100),
                    _fields(existing.name, existing.ean_code, existing.vat) if existing else None,
                    Change(batch.key(self.shop.pk, article.number), article.number, dump(rows), rows),
                )
            )
        return entries, len(shop_products)

    def write(self, changes: list[Change]) -> list[Problem]:
        return write_products(self.client, self.shop, changes)

    @staticmethod
    def record(payload: Any) -> tuple[ProductInput, ...]:
        return tuple(load(ProductInput, row) for row in payload)

    def arrived(self, article: str, fields: dict[str, str]) -> bool:
        product = self.client.get_product(article, self.shop.culture_list[0])
        return product is not None and _fields(product.name, product.ean_code, product.vat) == fields


class ShopToVisma:
    """One shop's products and variants into Visma (Ecom and Kombo modes)."""

    flow = Flow.SHOP_PRODUCTS_TO_VISMA

    def __init__(self, sync: InitialSync, connections: Connections) -> None:
        self.sync = sync
        self.shop = sync.shop
        self.client = connections.jetshop(sync.shop)
        self.visma = connections.visma

    def entries(self) -> tuple[list[Entry], int]:
        accounts = {
            rate.normalize(): code
            for rate, code in ArticleAccountMapping.objects.filter(
                integration=self.sync.integration
            ).values_list("vat_rate", "account_code")
        }
        visma_articles = {a.number: a for a in batch.all_articles(self.visma)}
        products = self.client.iter_products_changed(None, self.shop.culture_list[0])
        entries = []
        for product in sorted(products, key=lambda p: p.article_number):
            existing = visma_articles.pop(product.article_number, None)
            mapped = article_input(product, accounts)
            problem = mapped if isinstance(mapped, Problem) else None
            change = None
            if not isinstance(mapped, Problem):
                ref_key = batch.key(self.shop.pk, product.article_number)
                change = Change(ref_key, product.article_number, mapped.to_dict(), mapped)
            entries.append(
                Entry(
                    product.article_number,
                    _fields(product.name, product.ean_code),
                    _fields(existing.name, existing.bar_code) if existing else None,
                    change,
                    problem,
                )
            )
        return entries, len(visma_articles)

    def write(self, changes: list[Change]) -> list[Problem]:
        return put_articles(self.visma, changes)

    @staticmethod
    def record(payload: Any) -> P.ArticleInput:
        return P.ArticleInput.from_dict(payload)

    def arrived(self, article: str, fields: dict[str, str]) -> bool:
        found = self.visma.get_article(article)
        return found is not None and _fields(found.name, found.bar_code) == fields


# The two sides a sync can copy from, each with the same methods.
Direction = VismaToShop | ShopToVisma

DIRECTIONS: dict[str, type[Direction]] = {
    InitialSync.Direction.VISMA_TO_SHOP: VismaToShop,
    InitialSync.Direction.SHOP_TO_VISMA: ShopToVisma,
}


def direction_of(sync: InitialSync) -> Direction:
    return DIRECTIONS[sync.direction](sync, Connections(sync.integration))


def start(sync: InitialSync) -> None:
    """Queue the preview of a new sync (after the row is committed)."""
    dispatch.later("flows.tasks.preview_initial_sync", sync.pk, queue=BULK_QUEUE)


def confirm(sync: InitialSync) -> bool:
    """The consultant said "apply": from preview to applying, once, and queue the first stretch."""
    moved = InitialSync.objects.filter(pk=sync.pk, status=InitialSync.Status.PREVIEW).update(
        status=InitialSync.Status.APPLYING, applying_since=timezone.now(), done=0, updated_at=timezone.now()
    )
    if moved:
        dispatch.later("flows.tasks.apply_initial_sync", sync.pk, queue=BULK_QUEUE)
    return bool(moved)


@contextmanager
def working_on(sync_id: int, status: str) -> Iterator[InitialSync | None]:
    """The sync, if it is in ``status`` and no other worker has it; failures end it visibly.

    Transient trouble (a shop or agent away) leaves it as it is: the sweeper picks it up again.
    """
    sync = InitialSync.objects.select_related("integration__customer", "shop").filter(pk=sync_id).first()
    if sync is None or sync.status != status:
        yield None
        return
    with engine.flow_lock(sync.integration_id, f"initial-sync-{sync.pk}") as lock:
        if lock is None:
            yield None
            return
        try:
            yield sync
        except TransientError as exc:
            log.warning("initial sync %s waits: %s", sync_id, exc)
        except ConnectorError as exc:
            sync.status, sync.error, sync.finished_at = InitialSync.Status.FAILED, str(exc), timezone.now()
            sync.save(update_fields=["status", "error", "finished_at", "updated_at"])


def stale() -> list[tuple[int, str]]:
    """Syncs in preview or apply whose worker has said nothing for a while (it died, most likely;
    a live one would only lose the race for the sync's lock)."""
    cutoff = timezone.now() - timedelta(seconds=settings.FLOWS_STUCK_AFTER_SECONDS)
    working = [InitialSync.Status.PREVIEWING, InitialSync.Status.APPLYING]
    return list(
        InitialSync.objects.filter(status__in=working, updated_at__lt=cutoff).values_list("id", "status")
    )


# --- 1. preview ----------------------------------------------------------------------------------


def build_preview(sync: InitialSync) -> None:
    entries, only_in_target = direction_of(sync).entries()
    matched = [e for e in entries if e.target is not None]
    report: dict[str, Any] = {
        "counts": {
            "matched": len(matched) - sum(1 for e in matched if e.conflicts),
            "conflicting": sum(1 for e in matched if e.conflicts),
            "only_in_source": sum(1 for e in entries if e.target is None),
            "only_in_target": only_in_target,
            "cannot_write": sum(1 for e in entries if e.problem),
            "to_write": sum(1 for e in entries if e.needs_write),
        },
        "conflicting": [
            {
                "article": e.article,
                "fields": {f: [e.source[f], (e.target or {}).get(f, "")] for f in e.conflicts},
            }
            for e in matched
            if e.conflicts
        ][:EXAMPLES],
        "only_in_source": [e.article for e in entries if e.target is None][:EXAMPLES],
        "cannot_write": [
            {"article": e.problem.source, "reason": e.problem.message} for e in entries if e.problem
        ][:EXAMPLES],
    }
    with transaction.atomic():
        sync.entries.all().delete()
        InitialSyncEntry.objects.bulk_create((plan_row(sync, e) for e in entries), batch_size=1000)
        sync.report = report
        sync.total = len(entries)
        sync.status = InitialSync.Status.PREVIEW
        sync.save(update_fields=["report", "total", "status", "updated_at"])


def plan_row(sync: InitialSync, entry: Entry) -> InitialSyncEntry:
    """The preview's verdict on one article, as "apply" will carry it out."""
    row = InitialSyncEntry(sync=sync, article=entry.article, fields=entry.source)
    if entry.problem is not None:
        row.action, row.reason, row.message = (
            InitialSyncEntry.Action.REFUSE,
            entry.problem.reason,
            entry.problem.message,
        )
    elif entry.change is not None:
        row.action = InitialSyncEntry.Action.WRITE if entry.needs_write else InitialSyncEntry.Action.LINK
        row.key, row.payload = entry.change.key, entry.change.payload
    return row


# --- 2. apply, 3. resume -------------------------------------------------------------------------


def apply_chunk(sync: InitialSync, *, seconds: float = CHUNK_SECONDS) -> bool:
    """Work for about ``seconds`` through the plan the preview stored; True when there is more to do
    (the caller enqueues the next stretch)."""
    started = time.monotonic()
    direction = direction_of(sync)
    integration = sync.integration
    run = engine.start_run(integration, direction.flow, SyncRun.Trigger.MANUAL)
    arrived = resume_in_flight(sync, direction, run) if sync.in_flight else set()
    plan = sync.entries.order_by("article")
    more = True
    while more:
        # One row past the batch says whether another batch follows.
        rows = list(plan.filter(article__gt=sync.checkpoint)[: BATCH + 1])
        more, rows = len(rows) > BATCH, rows[:BATCH]
        if not rows:
            break
        changes = {
            r.article: change_of(direction, r) for r in rows if r.action != InitialSyncEntry.Action.REFUSE
        }
        write = [r for r in rows if r.action == InitialSyncEntry.Action.WRITE and r.article not in arrived]
        sync.in_flight = [r.article for r in write]
        sync.save(update_fields=["in_flight", "updated_at"])  # before the write: what to check on resume
        problems = direction.write([changes[r.article] for r in write]) if write else []
        failed = {p.source for p in problems}
        refused = [
            Problem(r.article, r.message, reason=r.reason, status=SyncItem.Status.PARKED)
            for r in rows
            if r.action == InitialSyncEntry.Action.REFUSE
        ]  # fmt: skip
        with transaction.atomic():
            sent = [changes[r.article] for r in write if r.article not in failed]
            batch.record_sent(integration, ExternalRef.Kind.ARTICLE, sent)
            equal = [changes[r.article].key for r in rows if r.action == InitialSyncEntry.Action.LINK]
            batch.link(integration, ExternalRef.Kind.ARTICLE, equal)
            for problem in problems + refused:
                batch.record_problem(run, problem, {"article": problem.source})
            sync.checkpoint, sync.in_flight = rows[-1].article, []
            sync.done += len(rows)
            sync.save(update_fields=["checkpoint", "done", "in_flight", "updated_at"])
        if more and time.monotonic() - started > seconds:
            engine.finish_run(run)
            return True
    sync.status, sync.finished_at = InitialSync.Status.DONE, timezone.now()
    sync.save(update_fields=["status", "finished_at", "updated_at"])
    engine.finish_run(run)
    return False


def change_of(direction: Direction, row: InitialSyncEntry) -> Change:
    return Change(row.key, row.article, row.payload, direction.record(row.payload))


def resume_in_flight(sync: InitialSync, direction: Direction, run: SyncRun) -> set[str]:
    """The batch a dead worker was writing: what reached the target is linked, not written again."""
    rows = sync.entries.filter(article__in=sync.in_flight)
    arrived = [r for r in rows if direction.arrived(r.article, r.fields)]
    batch.record_sent(sync.integration, ExternalRef.Kind.ARTICLE, [change_of(direction, r) for r in arrived])
    where = sync.checkpoint or later.gettext("the start")
    text = later.gettext(
        "resumed after %(checkpoint)s: %(arrived)d of %(sent)d articles in flight had arrived",
        checkpoint=where,
        arrived=len(arrived),
        sent=len(sync.in_flight),
    )
    engine.run_log(run, text)
    return {r.article for r in arrived}
