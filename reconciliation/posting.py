"""The posting plan of a payout and posting it to Visma exactly once.

Per payout: one customer payment per matched invoice (date = payout date, payment code and clearing
account per PSP, öre difference as an adjustment to the rounding account), and one voucher for what
is not an invoice payment: fees, VAT on fees, holdbacks, disputes and items without an order, debt,
and the bank amount. The clearing account nets to zero: what the payments put on it, the voucher
takes off. For SIE export the payments are written as a voucher of their own (SIE has no ledger of
customer invoices).

Exactly once: one ``Posting`` row per payout (database-unique) and an Idempotency-Key per write
derived from the payout and the invoice, so a worker killed half-way re-sends the same keys and the
agent answers with what it already wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from connectors.visma import ledger as L
from sharespine.metering import usage
from sharespine.metering.models import Kind as UsageKind

from .models import AccountPlan, Payout, PayoutLine, Posting
from .parsing.records import Kind
from .sie import Row, Ver

ZERO = Decimal("0.00")
NAMES = {"klarna": "Klarna", "nets": "Nets", "svea": "Svea"}


class NotPostable(Exception):
    """The payout cannot be posted now; the message says why in plain words."""


@dataclass
class PlannedPayment:
    invoice_number: int
    amount: Decimal  # onto the clearing account
    adjustment: Decimal  # öre difference to the rounding account
    credit: bool
    order_ref: str
    key: str

    @property
    def settles(self) -> Decimal:
        return self.amount + self.adjustment


@dataclass
class PostingPlan:
    payout: Payout
    payout_voucher: Ver
    payments: list[PlannedPayment] = field(default_factory=list)
    payments_voucher: Ver | None = None  # for SIE only; None when there are no payments

    def to_dict(self) -> dict:
        return {
            "payments": [
                {
                    "invoice": p.invoice_number,
                    "amount": str(p.amount),
                    "adjustment": str(p.adjustment),
                    "key": p.key,
                }
                for p in self.payments
            ],
            "voucher": [
                {"account": r.account, "amount": str(r.amount), "text": r.text}
                for r in self.payout_voucher.rows
            ],
        }


def key_for(payout: Payout, what: str) -> str:
    return f"recon-{payout.integration_id}-{payout.provider}-{payout.reference}-{what}"[:200]


def build_plan(
    payout: Payout, plan: AccountPlan | None = None, lines: list[PayoutLine] | None = None
) -> PostingPlan:
    plan = plan or AccountPlan.for_integration(payout.integration)
    if lines is None:
        # The row as sent (raw) is read only for a holdback's detailed type: deferred, it stays out
        # of memory for the 50,000 lines of a big payout.
        lines = list(payout.lines.exclude(match=PayoutLine.Match.DROPPED).defer("raw").order_by("row"))
    name = NAMES[payout.provider]
    clearing = plan.clearing(payout.provider)
    ref = payout.reference
    pay_date = payout.payout_date or timezone.localdate()
    bank_date = payout.bank_date or pay_date
    # The payout voucher takes everything that is not an invoice payment (step 2 fills it).
    ver_b = Ver(date=bank_date, text=f"{name} utbetalning {ref}", series=plan.voucher_series)
    result = PostingPlan(payout=payout, payout_voucher=ver_b)

    # 1. Payments, one per invoice, sales first then refunds, in the order of the file.
    grouped: dict[int, list[PayoutLine]] = {}
    for line in lines:
        if line.match == PayoutLine.Match.MATCHED and line.invoice_number:
            grouped.setdefault(line.invoice_number, []).append(line)
    ordered = sorted(grouped.items(), key=lambda item: (item[1][0].kind == Kind.REFUND, item[1][0].row))
    for number, group in ordered:
        result.payments.append(
            PlannedPayment(
                invoice_number=number,
                amount=sum((line.amount for line in group), ZERO),
                adjustment=sum((line.rounding for line in group), ZERO),
                credit=group[0].kind == Kind.REFUND,
                order_ref=group[0].order_ref,
                key=key_for(payout, f"pay-{number}"),
            )
        )
    ver_a = Ver(date=pay_date, text=f"{name} {ref} fakturaavräkning", series=plan.voucher_series)
    for p in result.payments:
        if p.credit:
            text = f"{name} retur {p.order_ref} kredit {p.invoice_number}"
            ver_a.rows += [Row(plan.receivables, -p.settles, text), Row(clearing, p.amount, text)]
        else:
            text = f"{name} {p.order_ref} fakt {p.invoice_number}"
            ver_a.rows.append(Row(clearing, p.amount, text))
            if p.adjustment:
                ver_a.rows.append(Row(plan.rounding, p.adjustment, f"Öresdiff fakt {p.invoice_number}"))
            ver_a.rows.append(Row(plan.receivables, -p.settles, text))
    result.payments_voucher = ver_a if ver_a.rows else None

    # 2. The payout voucher: everything else, against the clearing account.
    net = sum((line.net for line in lines), ZERO)
    if net >= 0:
        ver_b.rows.append(Row(plan.bank, net, f"{name} utbet {ref}"))
    else:  # a negative payout: no money moves, the PSP carries a debt to the next payout
        ver_b.rows.append(Row(plan.debt, net, f"{name} skuld {ref}"))
    fees = -sum((line.fee for line in lines), ZERO)
    fee_vat = -sum((line.fee_vat for line in lines), ZERO)
    if fees:
        ver_b.rows.append(Row(plan.fees(payout.provider), fees, f"{name} avgifter {ref}"))
    if fee_vat:
        ver_b.rows.append(Row(plan.fee_vat, fee_vat, f"Moms {name} avgifter {ref}"))
    holdback = -sum((line.amount for line in lines if line.kind in (Kind.HOLDBACK, Kind.RELEASE)), ZERO)
    if holdback:
        detail = next((line.raw.get("detailed_type") for line in lines if line.kind == Kind.HOLDBACK), "")
        label = "rolling reserve" if detail == "ROLLING_RESERVE" else "reserv"
        ver_b.rows.append(Row(plan.holdback, holdback, f"{name} {label} {ref}"))
    for line in lines:
        if line.kind == Kind.DEBT:
            ver_b.rows.append(Row(plan.debt, -line.amount, f"{name} {line.psp_type} {ref}"))
        elif line.kind in (Kind.REVERSAL, Kind.OTHER) or (
            line.kind in (Kind.SALE, Kind.REFUND) and line.match != PayoutLine.Match.MATCHED
        ):
            if not line.amount:
                continue
            what = (
                f"{line.order_ref} (tvist)"
                if line.kind == Kind.REVERSAL
                else (line.order_ref or "utan order")
            )
            ver_b.rows.append(Row(plan.exceptions, -line.amount, f"{name} {line.psp_type} {what}"))
    cleared = sum((p.amount for p in result.payments), ZERO)
    ver_b.rows.append(Row(clearing, -cleared, f"{name} clearing {ref}"))
    return result


def check_postable(payout: Payout) -> None:
    if payout.status == Payout.Status.POSTED:
        raise NotPostable(f"{payout} is already posted")
    if payout.held_reason:
        raise NotPostable(f"{payout} is held: {payout.held_reason} (difference {payout.difference})")
    if payout.status != Payout.Status.MATCHED:
        raise NotPostable(f"{payout}: {payout.match_needed - payout.matched_count} line(s) not matched yet")
    if payout.currency != "SEK":
        # The clearing account is in SEK: a foreign payout needs the bank's rate and an FX row.
        raise NotPostable(f"{payout}: payouts in {payout.currency} are not posted automatically yet")


def post_payout(payout_id: int, ledger) -> Posting:
    """Write the plan through the agent. Safe to run again after a crash: same keys, same writes."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("integration").get(pk=payout_id)
        check_postable(payout)
        plan = build_plan(payout)
        posting, _created = Posting.objects.get_or_create(payout=payout, defaults={"plan": plan.to_dict()})
        if posting.status == Posting.Status.DONE:
            raise NotPostable(f"{payout} is already posted")
    caps = ledger.capabilities()
    if not (caps.customer_payments and caps.vouchers):
        raise NotPostable(
            f"the Visma agent ({caps.backend}) cannot write payments and vouchers; export SIE 4I instead"
        )
    accounts = AccountPlan.for_integration(payout.integration)
    results = dict(posting.results or {})
    date = (payout.payout_date or timezone.localdate()).isoformat()
    try:
        for p in plan.payments:
            done = ledger.add_payment(
                L.PaymentInput(
                    invoice_number=p.invoice_number,
                    date=date,
                    amount=p.amount,
                    payment_code=accounts.payment_code(payout.provider),
                    account=accounts.clearing(payout.provider),
                    text=f"{NAMES[payout.provider]} {payout.reference}",
                    adjustment=p.adjustment,
                    adjustment_code=accounts.adjustment_code if p.adjustment else "",
                ),
                p.key,
            )
            results[f"payment-{p.invoice_number}"] = done.number
        ver = plan.payout_voucher
        voucher = ledger.add_voucher(
            L.VoucherInput(
                series=ver.series,
                date=ver.date.isoformat(),
                text=ver.text,
                rows=[L.VoucherRowInput(r.account, r.amount, r.text) for r in ver.rows],
            ),
            key_for(payout, "voucher"),
        )
        results["voucher"] = f"{voucher.series}{voucher.number}"
    except Exception as exc:
        Posting.objects.filter(pk=posting.pk).update(
            results=results, status=Posting.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        Posting.objects.filter(pk=posting.pk).update(
            results=results, status=Posting.Status.DONE, error="", finished_at=now
        )
        Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.POSTED, posted_at=now)
        # One payout reconciled for the price model, with the posting that makes it true.
        usage.record(payout.integration.customer_id, UsageKind.PAYOUT, [f"{payout.pk}"], now)
    posting.refresh_from_db()
    return posting


def sie_vouchers(payouts: list[Payout]) -> list[Ver]:
    vouchers: list[Ver] = []
    for payout in payouts:
        plan = build_plan(payout)
        if plan.payments_voucher:
            vouchers.append(plan.payments_voucher)
        vouchers.append(plan.payout_voucher)
    return vouchers
