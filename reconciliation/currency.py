"""A payout in a foreign currency, in kronor: the bank's rate, and the difference to the invoices'.

The bank line gives the rate (SEK received ÷ the payout's net in its currency, e.g. 1,675.96 SEK
for 1,736.75 NOK = 0.9650). Each payment clears the clearing account at that rate and the invoice
at the rate it was booked at; the difference goes to currency loss (7960) or gain (3960). On the
payout voucher every row is converted at the bank's rate, the bank row is what the bank received,
and the öre left over by rounding the rows one by one goes to the same accounts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .models import AccountPlan, Payout, PayoutLine
from .posting import NAMES, NotPostable, PostingPlan, build_plan
from .sie import Row, Ver

CENT = Decimal("0.01")


def _sek(value: Decimal, rate: Decimal) -> Decimal:
    return (value * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _fx_row(plan: AccountPlan, amount: Decimal, text: str) -> Row:
    # Debit: a loss (we got fewer kronor than the invoice was booked at); credit: a gain.
    return Row(plan.fx_loss if amount > 0 else plan.fx_gain, amount, text)


def vouchers_in_sek(payout: Payout, accounts: AccountPlan | None = None) -> list[Ver]:
    accounts = accounts or AccountPlan.for_integration(payout.integration)
    lines = list(payout.lines.exclude(match=PayoutLine.Match.DROPPED).defer("raw"))
    net = sum((line.net for line in lines), Decimal("0.00"))
    if payout.bank_amount is None or not net:
        raise NotPostable(f"{payout}: not in the bank yet, so the rate to kronor is unknown")
    rate = payout.bank_amount / net
    plan: PostingPlan = build_plan(payout, accounts, lines)
    name, clearing = NAMES[payout.provider], accounts.clearing(payout.provider)
    booked = {
        line.invoice_number: line.invoice_rate for line in lines if line.invoice_number and line.invoice_rate
    }
    vouchers: list[Ver] = []
    cleared = Decimal("0.00")
    source_a = plan.payments_voucher  # there when the payout pays invoices
    if source_a is not None:
        ver_a = Ver(source_a.date, source_a.text, series=accounts.voucher_series)
        for p in plan.payments:
            paid = _sek(p.amount, rate)
            settled = _sek(p.settles, booked.get(p.invoice_number) or rate)
            cleared += paid
            what = f"kredit {p.invoice_number}" if p.credit else f"fakt {p.invoice_number}"
            text = f"{name} {p.order_ref} {what}"
            ver_a.rows.append(Row(clearing, paid, text))
            if settled != paid:
                ver_a.rows.append(_fx_row(accounts, settled - paid, f"Kursdiff {what}"))
            ver_a.rows.append(Row(accounts.receivables, -settled, text))
        vouchers.append(ver_a)
    source = plan.payout_voucher
    ver_b = Ver(
        source.date, f"{source.text} {payout.currency} kurs {rate:.4f}", series=accounts.voucher_series
    )
    for row in source.rows:
        if row.account == accounts.bank and row is source.rows[0]:
            ver_b.rows.append(Row(row.account, payout.bank_amount, row.text))
        elif row is source.rows[-1]:  # the clearing row: what the payments put on it, in kronor
            ver_b.rows.append(Row(row.account, -cleared, row.text))
        else:
            ver_b.rows.append(Row(row.account, _sek(row.amount, rate), row.text))
    residual = -ver_b.balance
    if residual:
        ver_b.rows.append(_fx_row(accounts, residual, f"Kursdiff {name} {payout.reference}"))
    vouchers.append(ver_b)
    return vouchers
