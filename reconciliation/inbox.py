"""Payouts that come in by themselves: the watched folder and Klarna's Settlements API.

Each file once: a file whose (name, size) is already imported is not read again, and the SHA-256
stops the same bytes under another name. A file that cannot be read is logged and remembered for a
day (so it is not re-read every run) but nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.errors import ConnectorError
from connectors.klarna.client import KlarnaSettlementsClient
from flows.models import Integration

from .importing import store_payout
from .models import AccountPlan, KlarnaAccount, Payout, SettlementFile
from .parsing import MAX_BYTES, ParseError
from .parsing.klarna_api import payout_from_api
from .service import import_files, match

log = logging.getLogger("reconciliation.inbox")
MAX_FILES_PER_RUN = 200
FIRST_PULL_DAYS = 30
OVERLAP_DAYS = 3  # a payout is listed by its date; look back a little in case one came late


@dataclass
class PullResult:
    files: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    api_payouts: list[str] = field(default_factory=list)
    error: str = ""


def _rejected_key(integration: Integration, path: Path, stat) -> str:
    digest = hashlib.sha256(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]
    return f"recon:rejected:{integration.pk}:{digest}"


def pull_folder(integration: Integration, result: PullResult) -> None:
    plan = AccountPlan.for_integration(integration)
    if not plan.watch_folder:
        return
    folder = Path(plan.watch_folder)
    if not folder.is_dir():
        result.error = f"watched folder {folder} does not exist"
        return
    known = set(
        SettlementFile.objects.filter(integration=integration, source="folder").values_list("name", "size")
    )
    batch: list[tuple[Path, os.stat_result]] = []
    for path in sorted(folder.iterdir()):
        if len(batch) >= MAX_FILES_PER_RUN:
            break
        if path.name.startswith(".") or not path.is_file():
            continue
        stat = path.stat()
        if (
            (path.name, stat.st_size) in known
            or stat.st_size > MAX_BYTES
            or cache.get(_rejected_key(integration, path, stat))
        ):
            continue
        batch.append((path, stat))
    files = [(path.name, path.read_bytes()) for path, _ in batch]
    for (path, stat), outcome in zip(batch, import_files(integration, files, source="folder"), strict=True):
        if outcome.error:
            log.warning("watched folder: %s", outcome.error)
            cache.set(_rejected_key(integration, path, stat), 1, 24 * 3600)
            result.rejected.append(outcome.error)
        elif outcome.payouts:
            result.files.append(path.name)


def klarna_client(account: KlarnaAccount) -> KlarnaSettlementsClient:
    return KlarnaSettlementsClient(account.base_url, account.username, account.password.reveal())


def pull_klarna(
    integration: Integration, result: PullResult, client: KlarnaSettlementsClient | None = None
) -> None:
    try:
        account = integration.klarna_account
    except KlarnaAccount.DoesNotExist:
        return
    if not account.enabled:
        return
    today = timezone.localdate()
    start = (
        (account.pulled_until - dt.timedelta(days=OVERLAP_DAYS))
        if account.pulled_until
        else today - dt.timedelta(days=FIRST_PULL_DAYS)
    )
    client = client or klarna_client(account)
    new = []
    try:
        for payout in client.payouts(start, today):
            if Payout.objects.filter(
                integration=integration, provider="klarna", reference=payout.payment_reference
            ).exists():
                continue
            transactions = list(client.transactions(payout.payment_reference))
            try:
                parsed = payout_from_api(payout, transactions)
            except (ParseError, ValueError) as exc:
                result.rejected.append(str(exc))
                continue
            body = json.dumps(
                [payout.raw, [t.raw for t in transactions]], sort_keys=True, default=str
            ).encode()
            try:
                with transaction.atomic():
                    file = SettlementFile.objects.create(
                        integration=integration, name=f"klarna-api:{payout.payment_reference}"[:255],
                        sha256=hashlib.sha256(body).hexdigest(), size=len(body), source_format="klarna-api",
                        source="api",
                    )  # fmt: skip
                    new.append(store_payout(integration, file, parsed))
            except IntegrityError:
                continue  # pulled by a concurrent run
            result.api_payouts.append(payout.payment_reference)
    except ConnectorError as exc:
        KlarnaAccount.objects.filter(pk=account.pk).update(last_error=str(exc)[:500])
        result.error = f"Klarna: {exc}"
    else:
        KlarnaAccount.objects.filter(pk=account.pk).update(pulled_until=today, last_error="")
    if new:
        match(integration, new)


def pull(integration: Integration, klarna: KlarnaSettlementsClient | None = None) -> PullResult:
    result = PullResult()
    if not integration.reconciliation_enabled:
        return result
    pull_folder(integration, result)
    pull_klarna(integration, result, klarna)
    return result
