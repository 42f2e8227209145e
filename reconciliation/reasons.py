"""Plain-language reasons, stored as codes and shown in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

HELD = {
    "unbalanced": _("the lines do not add up to the payout's stated total"),
    "duplicates_undecided": _("duplicate rows, and no stated total to tell whether they are real"),
    "bank_mismatch": _("the bank received a different amount than the payout states"),
}

LINE = {
    "matched": _("paid in full"),
    "partial_capture": _("one of several captures of this invoice"),
    "spread": _("part payment; the rest was or will be paid in another payout"),
    "rounding": _("difference within the öre tolerance, booked to the rounding account"),
    "over_tolerance": _("the amount differs from the invoice by more than the öre tolerance"),
    "overpaid": _("more than the invoice's open balance"),
    "already_paid": _("the invoice is already paid"),
    "no_invoice": _("no invoice for this order in Visma yet; matched on a later run"),
    "refund_matched": _("refund on the credit invoice"),
    "refund_without_credit": _("refund without a credit invoice in Visma"),
    "dispute": _("dispute or chargeback on an invoice already paid"),
    "no_order": _("no order reference on the line"),
    "currency": _("the invoice is in another currency than the payout"),
    "cancelled": _("the invoice is cancelled in Visma"),
    "agent_unreachable": _("Visma could not be asked (agent offline); tried again on the next run"),
    "fee": _("fee, on the payout's voucher"),
    "holdback": _("reserve withheld or released, on the payout's voucher"),
    "other": _("no order; on the payout's voucher as an unmatched PSP item"),
    "duplicate": _("exact duplicate of an earlier row, dropped"),
}


def held_text(code: str) -> str:
    return str(HELD.get(code, code))


def line_text(code: str) -> str:
    return str(LINE.get(code, code))
