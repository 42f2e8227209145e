"""The Klarna SEK sample against the sample's invoices in a simulated Visma: matched, SIE, posted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from connectors.visma.ledger_client import LedgerClient
from reconciliation import service
from reconciliation.models import Payout, PayoutLine
from reconciliation.posting import NotPostable, build_plan, post_payout
from tests.connectors.visma.processes import KEY_ID, SECRET
from tests.factories import IntegrationFactory, VismaAgentFactory
from tests.reconciliation.samples import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(sample_agent):
    integration = IntegrationFactory(
        reconciliation_enabled=True, customer__name="Exempelbutiken AB", customer__org_number="556000-0000"
    )
    VismaAgentFactory(integration=integration, agent_url=sample_agent.base_url, key_id=KEY_ID, secret=SECRET)
    return integration


def imported(integration, name="klarna-settlement.csv") -> Payout:
    (result,) = service.import_files(integration, [(name, sample(name))])
    assert not result.error, result.error
    (payout,) = result.payouts
    payout.refresh_from_db()
    return payout


def test_klarna_payout_matched_line_by_line(integration):
    payout = imported(integration)
    assert payout.status == Payout.Status.MATCHED
    lines = {(line.row, line.order_ref): line for line in payout.lines.all()}
    by_order = {}
    for line in lines.values():
        if line.kind in ("sale", "refund", "reversal") and line.match != "dropped":
            by_order.setdefault(line.order_ref, set()).add((line.invoice_number, line.match, line.reason))
    assert by_order["100231"] == {(5001, "matched", "matched")}
    assert by_order["100232"] == {(5002, "matched", "partial_capture")}
    assert by_order["100236"] == {(5004, "matched", "rounding")}  # plus the dropped duplicate
    assert by_order["100219"] == {(5011, "matched", "refund_matched")}
    assert by_order["100190"] == {(4950, "booked", "dispute")}
    assert sum(1 for line in lines.values() if line.match == PayoutLine.Match.DROPPED) == 1
    report = service.report(payout)
    assert report.total == "2984.03" and report.balanced and report.unmatched == []


def test_sie_reproduces_the_expected_file(integration):
    payout = imported(integration)
    payout.bank_date = dt.date(2025, 3, 13)
    payout.save()
    data = service.sie_for(
        [payout],
        generated=dt.date(2025, 3, 13),
        program=("PSP-avstamning (syntetiskt exempel)", "0.1"),
        signature="reconciler",
        prosa="Syntetiskt testunderlag, ej verkliga data",
    )
    assert data == sample("klarna-7360158214-expected.si")


def test_posting_pays_the_invoices_once_and_the_clearing_account_nets_to_zero(integration, sample_agent):
    payout = imported(integration)
    plan = build_plan(payout)
    clearing = sum(
        r.amount for r in plan.payments_voucher.rows + plan.payout_voucher.rows if r.account == "1580"
    )
    assert clearing == 0
    assert sum(r.amount for r in plan.payout_voucher.rows) == 0
    ledger = LedgerClient(sample_agent.client)
    posting = post_payout(payout.pk, ledger)
    assert posting.status == "done" and posting.results["voucher"].startswith("K")
    invoices = {i.number: i for i in ledger.invoices(numbers=[5001, 5002, 5004, 5011, 5012, 5021])}
    assert invoices[5001].balance == invoices[5002].balance == invoices[5004].balance == Decimal("0.00")
    assert invoices[5011].balance == invoices[5012].balance == Decimal("0.00")
    assert invoices[5021].balance == Decimal("745.00")  # not captured: stays open
    with pytest.raises(NotPostable):
        post_payout(payout.pk, ledger)
    # The same file again imports nothing and says so.
    (again,) = service.import_files(integration, [("klarna-settlement.csv", sample("klarna-settlement.csv"))])
    assert again.already_imported and not again.payouts
