"""Canonical records every provider parser produces: one payout, its lines, in Decimal kronor.

Signs are the effect on the payout: a sale is positive, a fee, its VAT, a return negative. For each
line ``amount + fee + fee_vat`` is its net effect, so Σ net over a payout's lines is the payout's
net amount (what the PSP says it paid out, before withholding shown as its own line).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


class Kind:
    """What a line is, provider-neutral; drives matching and the voucher's accounts."""

    SALE = "sale"  # capture / charge / Svea Order: pays an invoice
    REFUND = "refund"  # return / refund / Svea Credit: pays out a credit invoice
    REVERSAL = "reversal"  # dispute or chargeback: money taken back on an invoice already paid
    FEE = "fee"  # fee without its own sale amount (Klarna FEE, Nets monthly FEE, Svea Cost)
    HOLDBACK = "holdback"  # reserve withheld (Klarna HOLDBACK, Svea withholding)
    RELEASE = "release"  # reserve released
    DEBT = "debt"  # Klarna deposit / repay: debt carried between payouts
    OTHER = "other"  # charge, credit, commission, correction, adjustment, kickback …

    CHOICES = (SALE, REFUND, REVERSAL, FEE, HOLDBACK, RELEASE, DEBT, OTHER)


@dataclass
class ParsedLine:
    row: int  # row number in the file (1 = first data row) or position in the JSON list
    kind: str
    psp_type: str  # the provider's own type, e.g. SALE, CHARGE_FEE, Order
    amount: Decimal  # main amount's effect on the payout
    fee: Decimal = Decimal("0.00")  # fee's effect (≤ 0 normally)
    fee_vat: Decimal = Decimal("0.00")  # VAT on the fee's effect (≤ 0 normally)
    row_id: str = ""  # capture_id / refund_id / action id / deliveryId: stable per PSP event
    order_ref: str = ""  # the shop's order number
    invoice_ref: str = ""  # an invoice or credit-note number the PSP carries, if any
    psp_order_id: str = ""
    date: dt.date | None = None
    text: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.amount + self.fee + self.fee_vat

    def identity(self) -> tuple:
        """Everything the PSP sent for the row: two rows equal here are exact duplicates."""
        return tuple(sorted(self.raw.items()))


@dataclass
class ParsedPayout:
    provider: str  # klarna / nets / svea
    reference: str
    payout_date: dt.date | None
    currency: str
    stated_total: Decimal | None  # the PSP's own net total, when the file states one
    lines: list[ParsedLine]
    source_format: str  # e.g. "klarna-csv"
    totals: dict = field(default_factory=dict)  # the PSP's totals block as given (strings)
