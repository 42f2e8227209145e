"""Payouts that come in by themselves: a watched folder (each file once) and Klarna's Settlements
API through its simulator over real HTTP (Basic auth, paging, faults); the beat schedule."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal

import pytest
from django_celery_beat.models import PeriodicTask

from connectors.errors import PermanentError
from connectors.klarna.client import KlarnaSettlementsClient
from connectors.klarna.simulator.app import KlarnaSimulator
from connectors.klarna.simulator.server import RunningSimulator
from flows.engine.schedules import sync_schedules
from reconciliation import inbox
from reconciliation.models import AccountPlan, KlarnaAccount, Payout, SettlementFile
from tests.factories import IntegrationFactory
from tests.reconciliation.samples import SAMPLES, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration():
    return IntegrationFactory(reconciliation_enabled=True)


def test_watched_folder_imports_each_file_once_and_skips_a_bad_one(integration, tmp_path):
    drop = tmp_path / "sftp"
    drop.mkdir()
    shutil.copy(SAMPLES / "klarna-sftp" / "7360158299.20250312T000000+0000.csv", drop)
    (drop / "broken.csv").write_bytes(b"not;a;payout\n")
    (drop / ".partial").write_bytes(b"upload in progress")
    AccountPlan.objects.create(integration=integration, watch_folder=str(drop))
    first = inbox.pull(integration)
    assert first.files == ["7360158299.20250312T000000+0000.csv"] and len(first.rejected) == 1
    assert "broken.csv" in first.rejected[0]
    second = inbox.pull(integration)
    assert (second.files, second.rejected) == ([], [])  # nothing read again
    assert Payout.objects.filter(integration=integration).count() == 1
    assert SettlementFile.objects.filter(integration=integration).count() == 1  # nothing of the bad file


def api_shape(name: str) -> tuple[dict, list[dict]]:
    """The Klarna sample CSV as the Settlements API would send it (öre, API field names)."""
    text = sample(name).decode("utf-8-sig")
    totals_part, rows_part = text.split("\r\n\r\n")
    totals_row = next(csv.DictReader(io.StringIO(totals_part), delimiter=";"))
    öre = lambda value: int(Decimal(value or "0") * 100)  # noqa: E731
    totals = {k.removeprefix("total_"): öre(v) for k, v in totals_row.items() if k.startswith("total_")}
    payout = {
        "payment_reference": totals_row["payment_reference"], "payout_date": totals_row["payout_date"],
        "currency_code": totals_row["settlement_currency"], "merchant_settlement_type": "NET",
        "totals": totals,
    }  # fmt: skip
    transactions = []
    for row in csv.DictReader(io.StringIO(rows_part), delimiter=";"):
        t = {k: v for k, v in row.items() if v and k not in ("amount", "tax_amount")}
        t["amount"] = öre(row["amount"])
        if row["tax_amount"]:
            t["vat_amount"] = öre(row["tax_amount"])
        transactions.append(t)
    return payout, transactions


@pytest.fixture
def klarna():
    app = KlarnaSimulator("K501234_user", "s3cret")
    app.add_payout(*api_shape("klarna-settlement.csv"))
    with RunningSimulator(app) as running:
        yield running


def test_client_pages_through_transactions(klarna):
    client = KlarnaSettlementsClient(klarna.base_url, "K501234_user", "s3cret")
    import datetime as dt

    (payout,) = list(client.payouts(dt.date(2025, 3, 1), dt.date(2025, 3, 31)))
    assert payout.payment_reference == "7360158214" and payout.totals["settlement_amount"] == 298403
    before = klarna.app.requests
    rows = list(client.transactions("7360158214", page_size=5))
    assert len(rows) == 27 and klarna.app.requests - before == 6  # 5+5+5+5+5+2
    with pytest.raises(PermanentError):
        list(
            KlarnaSettlementsClient(klarna.base_url, "K501234_user", "wrong").payouts(
                dt.date(2025, 3, 1), dt.date(2025, 3, 2)
            )
        )


def test_pull_from_the_api_gives_the_same_payout_as_the_file(integration, klarna, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2025, 3, 20))
    KlarnaAccount.objects.create(
        integration=integration, base_url=klarna.base_url, username="K501234_user", password="s3cret"
    )
    klarna.app.fail_next = 1
    failed = inbox.pull(integration)
    assert "Klarna" in failed.error and not Payout.objects.filter(integration=integration).exists()
    assert KlarnaAccount.objects.get(integration=integration).pulled_until is None
    result = inbox.pull(integration)
    assert result.api_payouts == ["7360158214"] and not result.error
    payout = Payout.objects.get(integration=integration)
    assert (payout.stated_total, payout.lines_total, payout.duplicates, payout.dropped) == (
        Decimal("2984.03"), Decimal("2984.03"), 1, 1,
    )  # fmt: skip
    assert KlarnaAccount.objects.get(integration=integration).pulled_until == dt.date(2025, 3, 20)
    assert inbox.pull(integration).api_payouts == []  # once


def test_beat_pulls_every_fifteen_minutes_only_with_reconciliation(integration):
    sync_schedules(integration)
    task = PeriodicTask.objects.get(name=f"flow:{integration.pk}:reconciliation")
    assert (task.task, task.queue, task.interval.every) == ("reconciliation.tasks.pull", "bulk", 900)
    integration.reconciliation_enabled = False
    integration.save()
    sync_schedules(integration)
    assert not PeriodicTask.objects.filter(name=f"flow:{integration.pk}:reconciliation").exists()
