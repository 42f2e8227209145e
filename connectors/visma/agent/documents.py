"""Orders and invoices: create exactly once, look up by the shop's reference, open invoices.

Exactly once: the worker thread serialises all requests, the Idempotency-Key is recorded in the
agent's state before the ADK write and completed after it, and a key left pending by a crash is
resolved by looking the document up by its reference (``ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend
from connectors.visma.agent.catalog import lookup_text
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.errors import AdkError, Conflict
from connectors.visma.agent.mapping import clean, date_text, dec, qty, to_adk
from connectors.visma.agent.state import AgentState

log = logging.getLogger("connectors.visma.agent.documents")
H = "ADK_OOI_HEAD_"
R = "ADK_OOI_ROW_"
KIND_OF_TABLE = {"ADK_DB_ORDER_HEAD": "order", "ADK_DB_INVOICE_HEAD": "invoice"}
_HEAD_INPUT = {
    "customer_number": "CUSTOMER_NUMBER",
    "reference": "CUSTOMER_ORDER_NUMBER",
    "including_vat": "INCLUDING_VAT",
    "date": "DOCUMENT_DATE1",
    "currency": "CURRENCY_CODE",
    "price_list": "LIST_OF_PRICE_CODE",
    "our_reference": "OUR_REFERENCE_NAME",
    "customer_reference": "CUSTOMER_REFERENCE_NAME",
    "local_remark": "LOCAL_REMARK",
    "customer_name": "CUSTOMER_NAME",
    "mailing_address1": "MAILING_ADDRESS1",
    "mailing_address2": "MAILING_ADDRESS2",
    "zipcode": "ZIPCODE",
    "city": "CITY",
    "country_code": "CODE_OF_COUNTRY",
    "delivery_name": "DELIVERY_NAME",
    "delivery_address1": "DELIVERY_MAILING_ADDRESS1",
    "delivery_address2": "DELIVERY_MAILING_ADDRESS2",
    "delivery_zipcode": "DELIVERY_ZIPCODE",
    "delivery_city": "DELIVERY_CITY",
    "delivery_country_code": "DELIVERY_CODE_OF_COUNTRY",
    "freight": "CARGO_AMOUNT",
    "freight_vat_code": "CARGO_VAT_CODE",
    "dispatch_fee": "DISPATCH_FEE",
    "dispatch_fee_vat_code": "VAT_CODE_DISPATCH_FEE",
    "terms_of_payment": "CODE_OF_TERMS_OF_PAYMENT",
    "way_of_delivery": "CODE_OF_WAY_OF_DELIVERY",
    "terms_of_delivery": "CODE_OF_TERMS_OF_DELIVERY",
    "project": "PROJECT_CODE",
    "profit_centre": "PROFIT_CENTRE",
    "do_not_create_backorder": "DO_NOT_CREATE_BACKORDER",
}


class DocumentDesk:
    def __init__(self, backend: CompanyBackend, state: AgentState, config: AgentConfig) -> None:
        self.backend = backend
        self.state = state
        self.config = config

    # --- reading ----------------------------------------------------------------------------------

    def document(
        self, kind: str, head: AdkRecord, *, with_rows: bool = True, warnings: list[str] | None = None
    ) -> P.Document:
        table = F.HEAD_TABLES[kind].db
        number = int(head[f"{H}DOCUMENT_NUMBER"])
        rates = self.backend.vat_rates()
        vat = [
            P.VatLine(
                vat_code=code,
                rate=dec(rates.get(code, 0.0)),
                basis=dec(head[f"{H}BASIS_OF_VAT{code}"]),
                amount=dec(head.get(f"{H}AMOUNT_OF_VAT{code}", 0.0)),
            )
            for code in ("1", "2", "3", "4", "0")
            if head[f"{H}BASIS_OF_VAT{code}"] or head.get(f"{H}AMOUNT_OF_VAT{code}")
        ]
        rows = []
        if with_rows:
            for r in self.backend.rows(table, number):
                rows.append(
                    P.DocumentRow(
                        row_number=int(r[f"{R}ROWNUMBER"]),
                        article_number=clean(r[f"{R}ARTICLE_NUMBER"]),
                        text=clean(r[f"{R}TEXT"]),
                        quantity_ordered=qty(r[f"{R}QUANTITY2"]),
                        quantity_delivered=qty(r[f"{R}QUANTITY1"]),
                        price=dec(r[f"{R}PRICE_EACH_CURRENT_CURRENCY"]),
                        discount=dec(r[f"{R}DISCOUNT"]),
                        amount=dec(r[f"{R}AMOUNT_CURRENT_CURRENCY"]),
                        vat_code=clean(r[f"{R}VAT_CODE"]),
                        unit=clean(r[f"{R}UNIT"]),
                    )
                )
        link_out = int(head[f"{H}DOCUMENT_CONNECTION_NUMBER{self.config.order_invoice_slot}"] or 0)
        link_in = int(head[f"{H}DOCUMENT_CONNECTION_NUMBER{self.config.invoice_order_slot}"] or 0)
        return P.Document(
            kind=kind,
            number=number,
            customer_number=clean(head[f"{H}CUSTOMER_NUMBER"]),
            customer_name=clean(head[f"{H}CUSTOMER_NAME"]),
            reference=clean(head[f"{H}CUSTOMER_ORDER_NUMBER"]),
            date=date_text(head[f"{H}DOCUMENT_DATE1"]),
            including_vat=bool(head[f"{H}INCLUDING_VAT"]),
            cancelled=bool(head[f"{H}DOCUMENT_CANCELLED"]),
            delivered=bool(head[f"{H}ORDER_DELIVERED"]),
            excluding_vat=dec(head[f"{H}EXCLUDING_OF_VAT"]),
            vat_amount=dec(head[f"{H}VAT_AMOUNT"]),
            round_off=dec(head[f"{H}ROUND_OFF"]),
            total=dec(head[f"{H}TOTAL_AMOUNT"]),
            balance=dec(head[f"{H}BALANCE"]),
            vat=vat,
            rows=rows,
            invoice_number=(link_out or None) if kind == "order" else None,
            order_number=(link_in or None) if kind == "invoice" else None,
            tracking_number=clean(head.get(self.config.tracking_field, "")),
            freight=dec(head[f"{H}CARGO_AMOUNT"]),
            timestamp=clean(head[f"{H}TIMESTAMP"]),
            warnings=list(warnings or []),
            project=clean(head.get(f"{H}PROJECT_CODE", "")),
            profit_centre=clean(head.get(f"{H}PROFIT_CENTRE", "")),
        )

    def get(self, kind: str, number: int) -> P.Document | None:
        head = self.backend.find(F.HEAD_TABLES[kind].db, {f"{H}DOCUMENT_NUMBER": number})
        return self.document(kind, head) if head else None

    def _heads(self, reference: str) -> list[tuple[str, AdkRecord]]:
        """Order and invoice heads carrying the shop's reference (orders first, by number)."""
        found: list[tuple[str, AdkRecord]] = []
        if (key := lookup_text(reference)) is None:
            return found
        for kind, table in F.HEAD_TABLES.items():
            heads = self.backend.scan(
                table.db,
                order_by=(f"{H}DOCUMENT_NUMBER",),
                where={f"{H}CUSTOMER_ORDER_NUMBER": key},
                limit=100,
            )
            found.extend((kind, head) for head in heads)
        return found

    def by_reference(self, reference: str) -> list[P.Document]:
        return [self.document(kind, head) for kind, head in self._heads(reference)]

    def status(self, reference: str) -> P.DocumentStatusList:
        """Head-only status by reference: what the ODBC read path also answers (and is checked on)."""
        items = [
            P.DocumentStatus(
                kind=kind,
                number=int(head[f"{H}DOCUMENT_NUMBER"]),
                reference=clean(head[f"{H}CUSTOMER_ORDER_NUMBER"]),
                delivered=bool(head[f"{H}ORDER_DELIVERED"]),
                cancelled=bool(head[f"{H}DOCUMENT_CANCELLED"]),
                total=dec(head[f"{H}TOTAL_AMOUNT"]),
                balance=dec(head[f"{H}BALANCE"]),
                timestamp=clean(head[f"{H}TIMESTAMP"]),
            )
            for kind, head in self._heads(reference)
        ]
        return P.DocumentStatusList(items=items, source=self.backend.name)

    def sample_references(self, limit: int) -> list[str]:
        """Some shop references present in the company: the ODBC start-up check compares on them."""
        references: list[str] = []
        for table in F.HEAD_TABLES.values():
            for head in self.backend.scan(table.db, order_by=(f"{H}DOCUMENT_NUMBER",), limit=limit):
                reference = clean(head[f"{H}CUSTOMER_ORDER_NUMBER"])
                if reference and reference not in references:
                    references.append(reference)
        return references[:limit]

    def open_invoices(self, customer: str | None, after: int, limit: int) -> P.OpenInvoicePage:
        """Unpaid, not cancelled invoices (the ADK's eInvoiceNotPayedCustomerNr view, filtered here)."""
        items: list[P.OpenInvoice] = []
        cursor = after
        key = lookup_text(customer) if customer else None
        if customer and key is None:
            return P.OpenInvoicePage(items=items)
        where = {f"{H}CUSTOMER_NUMBER": key} if key else None
        while len(items) < limit:
            heads = self.backend.scan(
                "ADK_DB_INVOICE_HEAD",
                order_by=(f"{H}DOCUMENT_NUMBER",),
                after=(cursor,),
                where=where,
                limit=500,
            )
            for h in heads:
                cursor = int(h[f"{H}DOCUMENT_NUMBER"])
                if h[f"{H}DOCUMENT_CANCELLED"] or abs(h[f"{H}BALANCE"]) < 0.005:
                    continue
                items.append(
                    P.OpenInvoice(
                        number=cursor,
                        customer_number=clean(h[f"{H}CUSTOMER_NUMBER"]),
                        reference=clean(h[f"{H}CUSTOMER_ORDER_NUMBER"]),
                        date=date_text(h[f"{H}DOCUMENT_DATE1"]),
                        due_date=date_text(h[f"{H}DOCUMENT_DATE2"]),
                        total=dec(h[f"{H}TOTAL_AMOUNT"]),
                        balance=dec(h[f"{H}BALANCE"]),
                        last_payment=date_text(h[f"{H}LAST_PAYMENT"]),
                    )
                )
                if len(items) == limit:
                    break
            if len(heads) < 500:
                break
        next_after = str(items[-1].number) if len(items) == limit else None
        return P.OpenInvoicePage(items=items, next_after=next_after)

    # --- writing ----------------------------------------------------------------------------------

    def create(self, data: P.DocumentInput, key: str, request_hash: str) -> tuple[P.Document, bool]:
        """Create the document once per Idempotency-Key; return (document, created)."""
        known = self.state.idempotency(key)
        if known is not None:
            if known["request_hash"] != request_hash:
                raise Conflict("Idempotency-Key reused with a different request")
            earlier = self._made_earlier(key, known)
            if earlier is not None:
                return earlier, False
        warnings: list[str] = []
        head, rows = self._to_adk(data, warnings)
        table = F.HEAD_TABLES[data.kind].db
        self.state.begin(key, request_hash, data.kind, data.reference or "", datetime.now().isoformat())
        try:
            stored = self.backend.add(table, head, rows)
        except BaseException:
            self.state.forget(key)
            raise
        number = int(stored[f"{H}DOCUMENT_NUMBER"])
        self.state.finish(key, number)
        log.info("created %s %s for reference %r", data.kind, number, data.reference)
        return self.document(data.kind, stored, warnings=warnings), True

    def _made_earlier(self, key: str, known: Any) -> P.Document | None:
        """The document an earlier request under ``key`` made; None if that request wrote nothing."""
        kind, number = known["kind"], known["number"]
        if number is not None:
            document = self.get(kind, int(number))
            if document is None:  # removed in Visma since: making it again would surprise the merchant
                raise Conflict(f"{kind} {number}, made under this Idempotency-Key, is no longer in Visma")
            return document
        # Recorded but never completed: the agent stopped between the ADK write and the record.
        # The shop's reference tells whether the write happened.
        reference = known["reference"]
        matches = [d for d in self.by_reference(reference) if d.kind == kind] if reference else []
        if matches:
            self.state.finish(key, matches[-1].number)
            return matches[-1]
        self.state.forget(key)
        return None

    def _list_price(self, data: P.DocumentInput, row: P.DocumentRowInput) -> Decimal:
        """No price given: the customer's price-list price, as the program would fill it in."""
        customer, article = lookup_text(data.customer_number), lookup_text(row.article_number or "")
        if not article or not customer:
            return Decimal(0)
        try:
            price, _, _ = self.backend.customer_price(customer, article, float(row.quantity))
        except AdkError:
            return Decimal(0)  # unknown customer/article: the add below fails with 49/50
        return dec(price)

    def _to_adk(
        self, data: P.DocumentInput, warnings: list[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        table = F.HEAD_TABLES[data.kind]
        values: dict[str, Any] = {H + suffix: getattr(data, attr) for attr, suffix in _HEAD_INPUT.items()}
        text_fields = [f"{H}TEXT{i}" for i in (1, 2, 3) if f"{H}TEXT{i}" != self.config.tracking_field]
        if len(data.texts) > len(text_fields):
            raise P.ProtocolError(f"texts: at most {len(text_fields)}")
        values.update(zip(text_fields, data.texts, strict=False))
        head = to_adk(table, values, warnings)
        row_table = F.ROW_TABLES[table.db]
        rows = []
        prices = [row.price if row.price is not None else self._list_price(data, row) for row in data.rows]
        # Checked again now the price-list prices are known: what is written must be answerable.
        if problems := bounds.amount_problems(data, prices):
            raise bounds.OutOfBounds(problems)
        for i, (row, price) in enumerate(zip(data.rows, prices, strict=True)):
            if not row.article_number and not row.text:
                raise P.ProtocolError(f"rows[{i}]: an article number or a text is required")
            discount = row.discount_amount if row.discount_amount is not None else row.discount_percent
            raw: dict[str, Any] = {
                f"{R}ARTICLE_NUMBER": row.article_number,
                f"{R}TEXT": row.text,
                f"{R}QUANTITY2": row.quantity,
                f"{R}QUANTITY1": row.quantity if data.kind == "invoice" else None,
                f"{R}PRICE_EACH_CURRENT_CURRENCY": price,
                f"{R}DISCOUNT": discount,
                f"{R}AMOUNT_DISCOUNT_FLAG": True if row.discount_amount is not None else None,
                f"{R}VAT_CODE": row.vat_code,
                f"{R}UNIT": row.unit,
            }
            rows.append(to_adk(row_table, raw, warnings))
        return head, rows
