"""The ledger through the ``adk`` backend (the AdkNet wrapper's call surface over the simulated
company, as in tests/connectors/visma/test_adk_backend.py): payments and a voucher with its row
block, written with the ADK constants of tables 62 and 65/66 once ``ledger_writes`` is on."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from connectors.visma import ledger as L
from connectors.visma.ledger_client import LedgerClient
from tests.connectors.visma.processes import config_file, seed, serving
from tests.connectors.visma.test_adk_backend import FAKE_ADK
from tests.reconciliation.conftest import make_invoice


@pytest.mark.parametrize("wrapper", ["net4", "net6"])
def test_payments_and_vouchers_through_the_adk_backend(tmp_path_factory, wrapper):
    base = tmp_path_factory.mktemp("adk-ledger")
    company = seed(base / "seeded.sqlite")
    work = tmp_path_factory.mktemp("adk-run")
    copy = shutil.copy(company, work / "company.sqlite")
    with serving(
        work, "--backend", "adk", "--company", str(copy), "--common-files", str(work),
        "--state", str(work / "agent-state.sqlite"), "--config", config_file(work, {"ledger_writes": True}),
        pythonpath=FAKE_ADK, env={"FAKE_ADK_WRAPPER": wrapper},
    ) as agent:  # fmt: skip
        ledger = LedgerClient(agent.client)
        assert ledger.capabilities() == L.LedgerCapabilities(
            customer_payments=True, vouchers=True, backend="adk"
        )
        invoice = make_invoice(agent.client, "ADK-1", "459.00")
        (found,) = ledger.invoices(references=["ADK-1"])
        assert (found.number, found.balance) == (invoice.number, Decimal("459.00"))
        payment = L.PaymentInput(invoice.number, "2025-03-12", Decimal("458.99"), "KL", "1580", "Klarna 1",
                                 adjustment=Decimal("0.01"), adjustment_code="ORE")  # fmt: skip
        paid = ledger.add_payment(payment, "adk-pay-1")
        assert ledger.add_payment(payment, "adk-pay-1") == paid and paid.balance == Decimal("0.00")
        rows = [
            L.VoucherRowInput("1930", Decimal("2984.03"), "Klarna utbet"),
            L.VoucherRowInput("6064", Decimal("100.75")),
            L.VoucherRowInput("1580", Decimal("-3084.78"), "Klarna clearing"),
        ]
        voucher = ledger.add_voucher(
            L.VoucherInput("K", "2025-03-13", "Klarna utbetalning", rows), "adk-ver-1"
        )
        assert (voucher.debit, voucher.credit) == (Decimal("3084.78"), Decimal("3084.78"))
        assert (
            ledger.add_voucher(L.VoucherInput("K", "2025-03-13", "Klarna utbetalning", rows), "adk-ver-1")
            == voucher
        )
