"""Generated payouts (hypothesis): whatever the lines, the posting plan balances, the clearing
account nets to zero, payments + fees + VAT + the rest = the bank amount, the SIE file balances,
and importing the same file again changes nothing.

Visma is an in-memory invoice list here (the property is about our arithmetic; matching against the
simulated agent over HTTP is covered in test_matching and test_klarna_end_to_end).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.visma.ledger import LedgerInvoice
from reconciliation import service
from reconciliation.models import Payout, PayoutLine
from reconciliation.posting import build_plan
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db
counter = itertools.count(1)
cents = st.integers(min_value=100, max_value=500_000).map(lambda c: Decimal(c) / 100)


class Invoices:
    """Visma's invoices for the generated orders (what the agent's look-up would answer)."""

    def __init__(self, items: list[LedgerInvoice]) -> None:
        self.items = items

    def invoices(self, references=(), numbers=()):
        refs, nums = set(references), set(numbers)
        return [i for i in self.items if i.reference in refs or i.number in nums]


order = st.fixed_dictionaries(
    {
        "captures": st.lists(cents, min_size=1, max_size=3),
        "fee": st.integers(min_value=0, max_value=5000).map(lambda c: Decimal(c) / 100),
        "returned": st.one_of(st.none(), cents),
        "credit_in_visma": st.booleans(),
        "invoice_delta": st.sampled_from(["0.00", "0.01", "-0.01", "0.50", "25.00", "-25.00"]),
        "invoiced": st.booleans(),
    }
)


def build(orders, holdback, charge, ref):
    rows, invoices, number = [], [], 1000
    for i, spec in enumerate(orders):
        order_no = f"{ref}-{i}"
        for amount in spec["captures"]:
            rows.append(("SALE", order_no, amount, ""))
            if spec["fee"]:
                vat = (spec["fee"] / 4).quantize(Decimal("0.01"))
                rows.append(("FEE", order_no, spec["fee"], vat))
        if spec["invoiced"]:
            number += 1
            total = sum(spec["captures"]) + Decimal(spec["invoice_delta"])
            invoices.append(LedgerInvoice(number, "1", order_no, "2025-03-01", total, total))
        if spec["returned"] is not None:
            rows.append(("RETURN", order_no, spec["returned"], ""))
            if spec["credit_in_visma"]:
                number += 1
                invoices.append(
                    LedgerInvoice(number, "1", order_no, "2025-03-02", -spec["returned"], -spec["returned"])
                )
    if holdback:
        rows.append(("HOLDBACK", "", holdback, ""))
    if charge:
        rows.append(("CHARGE", "", charge, ""))
    sign = {"SALE": 1, "FEE": -1, "RETURN": -1, "HOLDBACK": -1, "CHARGE": -1}
    net = sum(sign[t] * (a + (Decimal(v) if v else 0)) for t, _, a, v in rows)
    lines = [
        "payment_reference;payout_date;settlement_currency;total_settlement_amount",
        f"{ref};2025-03-12T06:00:00Z;SEK;{net}",
        "",
        "type;capture_date;capture_id;merchant_reference1;amount;posting_currency;tax_amount",
    ]
    for n, (t, order_no, amount, vat) in enumerate(rows):
        lines.append(f"{t};2025-03-10T10:00:00Z;c{n};{order_no};{amount};SEK;{vat}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8"), invoices, net


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    orders=st.lists(order, min_size=1, max_size=6),
    holdback=st.one_of(st.just(Decimal(0)), cents),
    charge=st.one_of(st.just(Decimal(0)), cents),
)
def test_any_payout_posts_balanced(orders, holdback, charge):
    integration = IntegrationFactory(reconciliation_enabled=True, name=f"prop-{next(counter)}")
    ref = f"P{integration.pk}"
    data, invoices, net = build(orders, holdback, charge, ref)
    source = Invoices(invoices)
    (result,) = service.import_files(integration, [(f"{ref}.csv", data)], ledger=source)
    assert not result.error, result.error
    (payout,) = result.payouts
    payout.refresh_from_db()
    assert payout.lines_total == payout.stated_total == net and not payout.held_reason

    plan = build_plan(payout)
    vouchers = [v for v in (plan.payments_voucher, plan.payout_voucher) if v]
    for voucher in vouchers:
        assert voucher.balance == 0
    assert sum(r.amount for v in vouchers for r in v.rows if r.account == "1580") == 0
    lines = list(payout.lines.exclude(match=PayoutLine.Match.DROPPED))
    paid = sum(p.amount for p in plan.payments)
    fees = sum(line.fee + line.fee_vat for line in lines)
    rest = sum(line.amount for line in lines if not (line.match == "matched" and line.invoice_number))
    assert paid + fees + rest == net  # payments + fees + VAT + everything else = what the bank gets
    bank = next(r for r in plan.payout_voucher.rows if r.account in ("1930", "2890"))
    assert bank.amount == net

    sie = service.sie_for([payout]).decode("cp437")
    for block in sie.split("#VER")[1:]:
        amounts = [Decimal(line.split()[3]) for line in block.splitlines() if "#TRANS" in line]
        assert sum(amounts) == 0

    before = (Payout.objects.count(), PayoutLine.objects.count())
    (again,) = service.import_files(integration, [(f"{ref}.csv", data)], ledger=source)
    assert again.already_imported and (Payout.objects.count(), PayoutLine.objects.count()) == before
