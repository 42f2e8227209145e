"""Wire records of the agent's ledger endpoints (reconciliation): invoice look-up, customer
payments, vouchers and what the backend can write. Shared by the agent and ``LedgerClient``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from connectors.visma.protocol import Record

MAX_LOOKUP = 1000  # keys per look-up request: the server batches bigger sets
MAX_PAGE = 10_000  # open invoices per page


@dataclass
class LedgerInvoice(Record):
    number: int
    customer_number: str
    reference: str  # the customer order number (the shop's order number, maybe prefixed)
    date: str
    total: Decimal
    balance: Decimal  # what is still open; 0 when paid; negative on an open credit invoice
    currency: str = "SEK"
    cancelled: bool = False
    last_payment: str = ""
    currency_rate: Decimal = Decimal("1")  # SEK per unit the invoice was booked at (foreign invoices)

    @property
    def is_credit(self) -> bool:
        return self.total < 0


@dataclass
class InvoiceLookup(Record):
    references: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


@dataclass
class InvoiceList(Record):
    items: list[LedgerInvoice]


@dataclass
class InvoicePage(Record):
    items: list[LedgerInvoice]
    next_after: int | None = None


@dataclass
class PaymentInput(Record):
    invoice_number: int
    date: str
    amount: Decimal  # in SEK; negative pays out a credit invoice
    payment_code: str = ""
    account: str = ""  # the PSP clearing account the payment is booked against
    text: str = ""
    # Öre difference closing the invoice (invoice 459.00 paid 458.99: adjustment 0.01), booked by
    # Visma to the adjustment code's account; the invoice's balance falls by amount + adjustment.
    adjustment: Decimal = Decimal("0.00")
    adjustment_code: str = ""


@dataclass
class Payment(Record):
    number: int
    invoice_number: int
    amount: Decimal
    balance: Decimal  # the invoice's balance after the payment
    date: str


@dataclass
class VoucherRowInput(Record):
    account: str
    amount: Decimal  # debit positive, credit negative
    text: str = ""


@dataclass
class VoucherInput(Record):
    series: str
    date: str
    text: str
    rows: list[VoucherRowInput]


@dataclass
class Voucher(Record):
    number: int
    series: str
    date: str
    debit: Decimal
    credit: Decimal


@dataclass
class LedgerCapabilities(Record):
    """Whether the backend accepts new customer payments and vouchers through the ADK.

    Not verified on a real installation: the ADK backend reports what its configuration says;
    when False the server exports SIE 4I instead of writing.
    """

    customer_payments: bool
    vouchers: bool
    backend: str
