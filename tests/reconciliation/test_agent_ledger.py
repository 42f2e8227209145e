"""The agent's ledger endpoints over HTTP: look-up, payments that change the balance, vouchers, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.errors import PermanentError
from connectors.visma import ledger as L
from connectors.visma.ledger_client import LedgerClient
from tests.reconciliation.conftest import make_invoice


def test_lookup_by_reference_and_number_includes_paid_and_credit(visma, ledger, unique):
    invoice = make_invoice(visma, f"R{unique}", "1249.00")
    credit = make_invoice(visma, f"C{unique}", "-300.00")
    found = ledger.invoices(references=[f"R{unique}", "nobody-has-this"], numbers=[credit.number])
    assert [(i.number, i.reference, i.total, i.balance) for i in found] == [
        (invoice.number, f"R{unique}", Decimal("1249.00"), Decimal("1249.00")),
        (credit.number, f"C{unique}", Decimal("-300.00"), Decimal("-300.00")),
    ]
    assert found[1].is_credit


def test_payment_reduces_the_balance_once_per_key(visma, ledger, unique):
    invoice = make_invoice(visma, f"P{unique}", "500.00")
    payment = L.PaymentInput(
        invoice_number=invoice.number,
        date="2025-03-12",
        amount=Decimal("250.00"),
        payment_code="KL",
        account="1580",
        text="Klarna 7360158214",
    )
    first = ledger.add_payment(payment, f"pay-{unique}")
    again = ledger.add_payment(payment, f"pay-{unique}")
    assert first == again and first.balance == Decimal("250.00")
    (after,) = ledger.invoices(numbers=[invoice.number])
    assert after.balance == Decimal("250.00") and after.last_payment == "2025-03-12"
    with pytest.raises(PermanentError):  # the same key for another payment is refused
        ledger.add_payment(L.PaymentInput(invoice.number, "2025-03-12", Decimal("1.00")), f"pay-{unique}")


def test_voucher_balanced_once_per_key_and_unbalanced_refused(ledger, unique):
    rows = [
        L.VoucherRowInput("1930", Decimal("2984.03"), "Klarna utbet"),
        L.VoucherRowInput("1580", Decimal("-2984.03")),
    ]
    voucher = L.VoucherInput(series="K", date="2025-03-13", text=f"Klarna {unique}", rows=rows)
    first = ledger.add_voucher(voucher, f"ver-{unique}")
    assert ledger.add_voucher(voucher, f"ver-{unique}") == first
    assert first.debit == first.credit == Decimal("2984.03")
    unbalanced = L.VoucherInput("K", "2025-03-13", "x", [L.VoucherRowInput("1930", Decimal("1.00"))])
    with pytest.raises(PermanentError):
        ledger.add_voucher(unbalanced, f"bad-{unique}")


def test_capabilities_reported(ledger):
    caps = ledger.capabilities()
    assert caps.backend == "simulated" and caps.customer_payments and caps.vouchers


def test_many_keys_take_one_pass_over_open_invoices_then_look_up_the_rest(visma, ledger, unique):
    open_one = make_invoice(visma, f"M1{unique}", "100.00")
    paid = make_invoice(visma, f"M2{unique}", "200.00")
    visma.sim("POST", f"invoices/{paid.number}/payments", {"amount": "200.00"})
    references = [f"M1{unique}", f"M2{unique}"] + [f"none-{unique}-{i}" for i in range(600)]
    pages = list(ledger.open_invoices(page_size=3))  # paging itself
    assert any(i.number == open_one.number for i in pages) and all(i.balance != 0 for i in pages)
    found = ledger.invoices(references=references)
    assert {(i.number, i.balance) for i in found} == {
        (open_one.number, Decimal("100.00")),
        (paid.number, Decimal("0.00")),
    }


def test_an_agent_with_ledger_writes_off_reports_it_and_refuses(tmp_path):
    from tests.connectors.visma.processes import config_file, seed, serving

    company = seed(tmp_path / "company.sqlite")
    settings = {"ledger_writes": False}
    with serving(tmp_path, "--company", str(company), "--config", config_file(tmp_path, settings)) as agent:
        ledger = LedgerClient(agent.client)
        caps = ledger.capabilities()
        assert not caps.customer_payments and not caps.vouchers
        rows = [L.VoucherRowInput("1930", Decimal("1.00")), L.VoucherRowInput("1580", Decimal("-1.00"))]
        with pytest.raises(PermanentError):
            ledger.add_voucher(L.VoucherInput("K", "2025-03-13", "x", rows), "off-1")
