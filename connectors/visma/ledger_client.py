"""``LedgerClient``: the server's side of the agent's ledger endpoints, over a ``VismaClient``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from connectors.visma import ledger as L
from connectors.visma.client import VismaClient
from connectors.visma.signing import IDEMPOTENCY_HEADER

BULK_THRESHOLD = 500  # keys above which one pass over the open invoices is cheaper than look-ups


class LedgerClient:
    def __init__(self, visma: VismaClient) -> None:
        self.visma = visma

    def capabilities(self) -> L.LedgerCapabilities:
        return L.LedgerCapabilities.from_dict(self.visma._call("GET", "/v1/ledger/capabilities"))

    def open_invoices(self, page_size: int = L.MAX_PAGE) -> Iterator[L.LedgerInvoice]:
        after: int | None = 0
        while after is not None:
            data = self.visma._call(
                "GET", "/v1/ledger/open-invoices", params={"after": after or None, "limit": page_size}
            )
            page = L.InvoicePage.from_dict(data)
            yield from page.items
            after = page.next_after

    def invoices(self, references: Iterable[str] = (), numbers: Iterable[int] = ()) -> list[L.LedgerInvoice]:
        """Invoices by customer order number and/or number.

        Many keys (a big payout): one pass over the open invoices first, then a look-up, in
        batches of ``MAX_LOOKUP``, of only the keys not found there (paid or missing invoices).
        """
        refs, nums = set(references), set(numbers)
        found: dict[int, L.LedgerInvoice] = {}
        if len(refs) + len(nums) > BULK_THRESHOLD:
            for invoice in self.open_invoices():
                if invoice.reference in refs or invoice.number in nums:
                    found[invoice.number] = invoice
            refs -= {i.reference for i in found.values()}
            nums -= set(found)
        ref_list, num_list = sorted(refs), sorted(nums)
        step = L.MAX_LOOKUP
        for i in range(0, max(len(ref_list), len(num_list), 1), step):
            lookup = L.InvoiceLookup(references=ref_list[i : i + step], numbers=num_list[i : i + step])
            if not lookup.references and not lookup.numbers:
                break
            data = self.visma._call("POST", "/v1/ledger/invoice-lookup", body=lookup.to_dict())
            for invoice in L.InvoiceList.from_dict(data).items:
                found[invoice.number] = invoice
        return [found[n] for n in sorted(found)]

    def add_payment(self, payment: L.PaymentInput, idempotency_key: str) -> L.Payment:
        data = self.visma._call(
            "POST",
            "/v1/ledger/customer-payments",
            body=payment.to_dict(),
            headers={IDEMPOTENCY_HEADER: idempotency_key},
        )
        return L.Payment.from_dict(data)

    def add_voucher(self, voucher: L.VoucherInput, idempotency_key: str) -> L.Voucher:
        data = self.visma._call(
            "POST",
            "/v1/ledger/vouchers",
            body=voucher.to_dict(),
            headers={IDEMPOTENCY_HEADER: idempotency_key},
        )
        return L.Voucher.from_dict(data)
