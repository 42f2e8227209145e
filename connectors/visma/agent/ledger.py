"""Invoices, customer payments and vouchers for reconciliation. Worker thread only.

Exactly once as for documents: the Idempotency-Key is recorded in the agent's state before the ADK
write and completed after it. A key left pending by a crash is resolved by looking for what the
write would have left: a payment row on the invoice whose text is the key's short form, or a
voucher whose text carries it.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.visma import ledger as L
from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend
from connectors.visma.agent.errors import AdkError, Conflict
from connectors.visma.agent.mapping import clean, date_text, dec, to_date_long
from connectors.visma.agent.state import AgentState

log = logging.getLogger("connectors.visma.agent.ledger")
H = "ADK_OOI_HEAD_"
CP = "ADK_CUSTOMERPAYMENT_"
VH = "ADK_VERIFICATION_HEAD_"
VR = "ADK_VERIFICATION_ROW_"


def short_key(key: str) -> str:
    """A 12-character tag of the key, stored in Visma's own text fields for crash recovery."""
    return "R" + hashlib.sha256(key.encode()).hexdigest()[:11]


class LedgerDesk:
    def __init__(self, backend: CompanyBackend, state: AgentState, writes: bool | None = None) -> None:
        self.backend = backend
        self.state = state
        self.writes = backend.name == "simulated" if writes is None else writes

    def capabilities(self) -> L.LedgerCapabilities:
        return L.LedgerCapabilities(
            customer_payments=self.writes, vouchers=self.writes, backend=self.backend.name
        )

    def _require_writes(self) -> None:
        if not self.writes:
            raise Conflict(
                "this agent does not write payments or vouchers (ledger_writes is off); use SIE 4I"
            )

    # --- invoices ---------------------------------------------------------------------------------

    def _invoice(self, head: AdkRecord) -> L.LedgerInvoice:
        return L.LedgerInvoice(
            number=int(head[f"{H}DOCUMENT_NUMBER"]),
            customer_number=clean(head[f"{H}CUSTOMER_NUMBER"]),
            reference=clean(head[f"{H}CUSTOMER_ORDER_NUMBER"]),
            date=date_text(head[f"{H}DOCUMENT_DATE1"]),
            total=dec(head[f"{H}TOTAL_AMOUNT"]),
            balance=dec(head[f"{H}BALANCE"]),
            currency=clean(head.get(f"{H}CURRENCY_CODE")) or "SEK",
            cancelled=bool(head[f"{H}DOCUMENT_CANCELLED"]),
            last_payment=date_text(head.get(f"{H}LAST_PAYMENT")),
            currency_rate=dec(head.get(f"{H}CURRENCY_RATE") or 1.0, 4),
        )

    # Only the head fields an invoice record needs: a full head is ~150 fields.
    HEAD_FIELDS = tuple(
        f"{H}{name}"
        for name in (
            "DOCUMENT_NUMBER", "CUSTOMER_NUMBER", "CUSTOMER_ORDER_NUMBER", "DOCUMENT_DATE1", "TOTAL_AMOUNT",
            "BALANCE", "CURRENCY_CODE", "DOCUMENT_CANCELLED", "LAST_PAYMENT", "CURRENCY_RATE",
        )
    )  # fmt: skip

    def open_invoices(self, after: int, limit: int) -> L.InvoicePage:
        """Unpaid, not cancelled invoices (credit invoices too) in number order, heads only."""
        items: list[L.LedgerInvoice] = []
        cursor = after
        while len(items) < limit:
            heads = self.backend.scan(
                "ADK_DB_INVOICE_HEAD", order_by=(f"{H}DOCUMENT_NUMBER",), after=(cursor,), limit=2000,
                fields=self.HEAD_FIELDS,
            )  # fmt: skip
            for head in heads:
                cursor = int(head[f"{H}DOCUMENT_NUMBER"])
                if head[f"{H}DOCUMENT_CANCELLED"] or abs(head[f"{H}BALANCE"] or 0) < 0.005:
                    continue
                items.append(self._invoice(head))
                if len(items) == limit:
                    break
            if len(heads) < 2000:
                break
        return L.InvoicePage(items=items, next_after=cursor if len(items) == limit else None)

    def invoices(self, lookup: L.InvoiceLookup) -> L.InvoiceList:
        """Invoices (paid or not, credit invoices too) by customer order number or by number."""
        if len(lookup.references) > L.MAX_LOOKUP or len(lookup.numbers) > L.MAX_LOOKUP:
            raise ValueError(f"at most {L.MAX_LOOKUP} references and {L.MAX_LOOKUP} numbers per request")
        found: dict[int, L.LedgerInvoice] = {}
        for reference in dict.fromkeys(r for r in lookup.references if r):
            heads = self.backend.scan(
                "ADK_DB_INVOICE_HEAD",
                order_by=(f"{H}DOCUMENT_NUMBER",),
                where={f"{H}CUSTOMER_ORDER_NUMBER": reference},
                limit=50,
                fields=self.HEAD_FIELDS,
            )
            for head in heads:
                found[int(head[f"{H}DOCUMENT_NUMBER"])] = self._invoice(head)
        for number in dict.fromkeys(lookup.numbers):
            if number in found or not 0 < number < 10**9:
                continue
            one = self.backend.find("ADK_DB_INVOICE_HEAD", {f"{H}DOCUMENT_NUMBER": number})
            if one is not None:
                found[number] = self._invoice(one)
        return L.InvoiceList(items=[found[n] for n in sorted(found)])

    # --- payments ---------------------------------------------------------------------------------

    def _begin(self, key: str, request_hash: str, kind: str) -> Any:
        known = self.state.idempotency(key)
        if known is not None and known["request_hash"] != request_hash:
            raise Conflict("Idempotency-Key reused with a different request")
        return known

    def add_payment(self, data: L.PaymentInput, key: str, request_hash: str) -> tuple[L.Payment, bool]:
        self._require_writes()
        known = self._begin(key, request_hash, "payment")
        tag = short_key(key)
        if known is not None:
            earlier = self._payment_by_tag(data.invoice_number, tag)
            if earlier is not None:
                if known["number"] is None:
                    self.state.finish(key, earlier.number)
                return earlier, False
            if known["number"] is not None:
                raise Conflict(
                    f"payment {known['number']}, made under this Idempotency-Key, is no longer in Visma"
                )
            self.state.forget(key)
        values = {
            f"{CP}INVOICE_NUMBER": float(data.invoice_number),
            f"{CP}DATE": to_date_long(data.date, f"{CP}DATE"),
            f"{CP}AMOUNT_KR": float(data.amount),
            f"{CP}PAYMENT_CODE": data.payment_code,
            f"{CP}ACCOUNT": data.account,
            f"{CP}PAYTEXT": f"{tag} {data.text}"[:30],
        }
        if data.adjustment:
            values[f"{CP}ADJUSTMENT_KR"] = float(data.adjustment)
            values[f"{CP}ADJUSTMENT_CODE"] = data.adjustment_code
        self.state.begin(key, request_hash, "payment", str(data.invoice_number), datetime.now().isoformat())
        try:
            stored = self.backend.add("ADK_DB_CUSTOMERPAYMENT", values)
        except BaseException:
            self.state.forget(key)
            raise
        number = int(stored[f"{CP}NR"])
        self.state.finish(key, number)
        log.info("payment %s of %s on invoice %s", number, data.amount, data.invoice_number)
        return self._payment(stored), True

    def _payment(self, row: AdkRecord) -> L.Payment:
        invoice_number = int(row[f"{CP}INVOICE_NUMBER"])
        head = self.backend.find("ADK_DB_INVOICE_HEAD", {f"{H}DOCUMENT_NUMBER": invoice_number})
        return L.Payment(
            number=int(row[f"{CP}NR"]),
            invoice_number=invoice_number,
            amount=dec(row[f"{CP}AMOUNT_KR"]),
            balance=dec(head[f"{H}BALANCE"]) if head else Decimal("0.00"),
            date=date_text(row[f"{CP}DATE"]),
        )

    def _payment_by_tag(self, invoice_number: int, tag: str) -> L.Payment | None:
        rows = self.backend.scan(
            "ADK_DB_CUSTOMERPAYMENT",
            order_by=(f"{CP}NR", f"{CP}ROW_NUMBER"),
            where={f"{CP}INVOICE_NUMBER": float(invoice_number)},
            limit=500,
        )
        for row in rows:
            if clean(row.get(f"{CP}PAYTEXT")).startswith(tag):
                return self._payment(row)
        return None

    # --- vouchers ---------------------------------------------------------------------------------

    def add_voucher(self, data: L.VoucherInput, key: str, request_hash: str) -> tuple[L.Voucher, bool]:
        self._require_writes()
        total = sum((row.amount for row in data.rows), Decimal(0))
        if not data.rows or total != 0:
            raise AdkError(9, field=f"{VR}AMOUNT", detail=f"a voucher must balance (off by {total})")
        known = self._begin(key, request_hash, "voucher")
        tag = short_key(key)
        if known is not None:
            earlier = self._voucher_by_tag(tag)
            if earlier is not None:
                if known["number"] is None:
                    self.state.finish(key, earlier.number)
                return earlier, False
            self.state.forget(key)
        date = to_date_long(data.date, f"{VH}DATE1")
        head = {
            f"{VH}VER_SERIE": data.series,
            f"{VH}DATE1": date,
            f"{VH}INFO": f"{tag} {data.text}"[: F.VERIFICATION_HEAD.fields[f"{VH}INFO"].length],
        }
        rows = [
            {
                f"{VR}ACCOUNT": row.account,
                f"{VR}AMOUNT": float(row.amount),
                f"{VR}INFO": row.text[:50],
                f"{VR}DATE1": date,
            }
            for row in data.rows
        ]
        self.state.begin(key, request_hash, "voucher", tag, datetime.now().isoformat())
        try:
            stored = self.backend.add("ADK_DB_VERIFICATION_HEAD", head, rows)
        except BaseException:
            self.state.forget(key)
            raise
        number = int(stored[f"{VH}VER_NR"])
        self.state.finish(key, number)
        log.info("voucher %s %s: %s", data.series, number, data.text)
        return self._voucher(stored), True

    def _voucher(self, head: AdkRecord) -> L.Voucher:
        return L.Voucher(
            number=int(head[f"{VH}VER_NR"]),
            series=clean(head[f"{VH}VER_SERIE"]),
            date=date_text(head[f"{VH}DATE1"]),
            debit=dec(head.get(f"{VH}DEBIT")),
            credit=dec(head.get(f"{VH}CREDIT")),
        )

    def _voucher_by_tag(self, tag: str) -> L.Voucher | None:
        after = None
        while True:
            heads = self.backend.scan(
                "ADK_DB_VERIFICATION_HEAD", order_by=(f"{VH}VER_NR",), after=after, limit=500
            )
            for head in heads:
                if clean(head[f"{VH}INFO"]).startswith(tag):
                    return self._voucher(head)
            if len(heads) < 500:
                return None
            after = (heads[-1][f"{VH}VER_NR"],)
