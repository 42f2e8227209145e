"""Matching rules against invoices made through the agent (simulated Visma), one reason per case."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.models import ExternalRef, SyncItem
from flows.modes import Flow
from reconciliation import service
from reconciliation.models import Payout, PayoutLine, Posting
from reconciliation.posting import NotPostable, post_payout
from tests.factories import IntegrationFactory, JetshopShopFactory
from tests.reconciliation.builders import klarna_file
from tests.reconciliation.conftest import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration():
    return IntegrationFactory(reconciliation_enabled=True)


def run(integration, ledger, reference, rows, total=None) -> Payout:
    (result,) = service.import_files(integration, [klarna_file(reference, rows, total)], ledger=ledger)
    assert not result.error, result.error
    (payout,) = result.payouts
    payout.refresh_from_db()
    return payout


def reasons(payout) -> list[tuple[str, str, str]]:
    return [
        (line.order_ref, line.match, line.reason)
        for line in payout.lines.order_by("row")
        if line.kind == "sale" or line.kind == "refund"
    ]


def test_invoice_not_there_yet_waits_then_matches_by_itself(integration, visma, ledger, unique):
    payout = run(integration, ledger, f"9{unique}", [("SALE", f"W{unique}", "100.00")])
    assert reasons(payout) == [(f"W{unique}", "waiting", "no_invoice")]
    assert payout.status == Payout.Status.OPEN
    make_invoice(visma, f"W{unique}", "100.00")
    summary = service.match(integration, ledger=ledger)
    payout.refresh_from_db()
    assert summary.matched == 1 and reasons(payout) == [(f"W{unique}", "matched", "matched")]
    assert payout.status == Payout.Status.MATCHED


def test_rounding_within_tolerance_and_above_it(integration, visma, ledger, unique):
    make_invoice(visma, f"A{unique}", "459.00")
    make_invoice(visma, f"B{unique}", "459.00")
    payout = run(
        integration,
        ledger,
        f"8{unique}",
        [("SALE", f"A{unique}", "458.99"), ("SALE", f"B{unique}", "400.00")],
    )
    lines = {line.order_ref: line for line in payout.lines.all()}
    assert (lines[f"A{unique}"].reason, lines[f"A{unique}"].rounding) == ("rounding", Decimal("0.01"))
    # 59.00 short is not rounding: a part payment, the rest expected in another payout.
    assert lines[f"B{unique}"].reason == "spread" and lines[f"B{unique}"].match == "matched"


def test_spread_over_two_payouts_then_overpaid_is_held(integration, visma, ledger, unique):
    invoice = make_invoice(visma, f"S{unique}", "1000.00")
    first = run(integration, ledger, f"71{unique}", [("SALE", f"S{unique}", "600.00")])
    assert reasons(first) == [(f"S{unique}", "matched", "spread")]
    post_payout(first.pk, ledger)
    second = run(integration, ledger, f"72{unique}", [("SALE", f"S{unique}", "400.00")])
    assert reasons(second) == [(f"S{unique}", "matched", "spread")]  # the rest of a part-paid invoice
    post_payout(second.pk, ledger)
    (paid,) = ledger.invoices(numbers=[invoice.number])
    assert paid.balance == 0
    third = run(integration, ledger, f"73{unique}", [("SALE", f"S{unique}", "50.00")])
    assert reasons(third) == [(f"S{unique}", "held", "already_paid")]
    with pytest.raises(NotPostable):
        post_payout(third.pk, ledger)


def test_overpayment_held_and_two_unposted_payouts_do_not_both_claim_one_invoice(
    integration, visma, ledger, unique
):
    make_invoice(visma, f"O{unique}", "300.00")
    over = run(integration, ledger, f"61{unique}", [("SALE", f"O{unique}", "350.00")])
    assert reasons(over) == [(f"O{unique}", "held", "over_tolerance")]
    make_invoice(visma, f"D{unique}", "300.00")
    a = run(integration, ledger, f"62{unique}", [("SALE", f"D{unique}", "300.00")])
    b = run(integration, ledger, f"63{unique}", [("SALE", f"D{unique}", "300.00")])
    assert reasons(a) == [(f"D{unique}", "matched", "matched")]
    assert reasons(b) == [(f"D{unique}", "held", "already_paid")]


def test_refund_without_credit_invoice_is_held_and_with_one_matches(integration, visma, ledger, unique):
    make_invoice(visma, f"R{unique}", "500.00")
    payout = run(
        integration,
        ledger,
        f"5{unique}",
        [("SALE", f"R{unique}", "500.00"), ("RETURN", f"R{unique}", "-100.00")],
    )
    assert reasons(payout)[1] == (f"R{unique}", "held", "refund_without_credit")
    make_invoice(visma, f"R{unique}", "-100.00")
    service.match(integration, ledger=ledger)
    payout.refresh_from_db()
    assert reasons(payout) == [
        (f"R{unique}", "matched", "matched"),
        (f"R{unique}", "matched", "refund_matched"),
    ]


def test_our_own_orders_flow_reference_with_shop_prefix(integration, visma, ledger, unique):
    # The orders flow wrote "NO-<order>" into Visma; the PSP only knows the shop's order number.
    shop = JetshopShopFactory(integration=integration, order_reference_prefix="NO-")
    invoice = make_invoice(visma, f"NO-{unique}", "250.00")
    SyncItem.objects.create(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, shop=shop, source_id=f"id-{unique}",
        reference=f"NO-{unique}", status=SyncItem.Status.DONE,
    )  # fmt: skip
    ExternalRef.objects.create(
        integration=integration,
        kind=ExternalRef.Kind.ORDER,
        shop_id=f"id-{unique}",
        erp_id=f"invoice:{invoice.number}",
    )
    payout = run(integration, ledger, f"4{unique}", [("SALE", unique, "250.00")])
    line = payout.lines.get()
    assert (line.match, line.invoice_number) == (PayoutLine.Match.MATCHED, invoice.number)


def test_unbalanced_payout_is_held_with_the_difference_and_never_posted(integration, visma, ledger, unique):
    make_invoice(visma, f"U{unique}", "100.00")
    payout = run(
        integration, ledger, f"3{unique}", [("SALE", f"U{unique}", "100.00")], total=Decimal("90.00")
    )
    assert (payout.status, payout.held_reason, payout.difference) == ("held", "unbalanced", Decimal("10.00"))
    assert service.report(payout).balanced is False
    with pytest.raises(NotPostable):
        post_payout(payout.pk, ledger)


def test_same_payout_in_another_file_is_skipped(integration, ledger, unique):
    name, data = klarna_file(f"2{unique}", [("SALE", f"X{unique}", "10.00")])
    service.import_files(integration, [(name, data)], ledger=ledger)
    (again,) = service.import_files(integration, [(name, data + b"\n")], ledger=ledger)  # other bytes
    assert not again.already_imported and again.skipped == [f"2{unique}"] and not again.payouts
    assert Payout.objects.filter(reference=f"2{unique}").count() == 1


def test_a_payout_whose_posting_began_keeps_its_matches(integration, visma, ledger, unique):
    make_invoice(visma, f"K{unique}", "80.00")
    payout = run(integration, ledger, f"11{unique}", [("SALE", f"K{unique}", "80.00")])
    Posting.objects.create(payout=payout)  # a posting that began and was interrupted
    PayoutLine.objects.filter(payout=payout).update(match=PayoutLine.Match.PENDING)
    assert service.match(integration, ledger=ledger).lines == 0
