"""What happens to a document after it is written: delivery, cancellation, payments, stock moves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.simulated.documents import Documents, H, R, copy_head, today_long
from connectors.visma.agent.backends.simulated.store import validate
from connectors.visma.agent.errors import AdkError


class Lifecycle:
    def __init__(self, documents: Documents) -> None:
        self.docs = documents
        self.store = documents.store

    def update_document(
        self, table: F.Table, number: int, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
    ) -> dict:
        validate(table, values)
        head = self.store.find(table, {f"{H}DOCUMENT_NUMBER": number})
        if head is None:
            raise AdkError(115, table=table.db, detail=str(number))
        if head[f"{H}DOCUMENT_CANCELLED"]:
            raise AdkError(9, table=table.db, detail=str(number))
        invoiced = (
            table.kind == "ORDER"
            and head[f"{H}DOCUMENT_CONNECTION_NUMBER{self.docs.options.order_invoice_slot}"]
        )
        if invoiced:
            raise AdkError(217, table=table.db, detail=str(number))
        values = dict(values)
        if values.pop(f"{H}DOCUMENT_CANCELLED", False):
            return self._cancel(table, head, values)
        if table.kind == "ORDER" and values.get(f"{H}ORDER_DELIVERED"):
            return self._deliver(head, values, rows)
        if head.get(f"{H}ORDER_DELIVERED"):
            raise AdkError(13, table=table.db, detail=str(number))
        if head[f"{H}DOCUMENT_PRINTED"] and set(values) - {f"{H}DOCUMENT_PRINTED"}:
            raise AdkError(12, table=table.db, detail=str(number))
        self.store.update(table, {f"{H}DOCUMENT_NUMBER": number}, values)
        return self.store.find(table, {f"{H}DOCUMENT_NUMBER": number}) or {}

    def _cancel(self, table: F.Table, head: dict, values: dict) -> dict:
        number = int(head[f"{H}DOCUMENT_NUMBER"])
        if table.kind == "ORDER":
            if head[f"{H}ORDER_DELIVERED"]:
                raise AdkError(13, table=table.db, detail=str(number))
            for row in self.docs.rows("ORDER", number):
                if row[f"{R}ARTICLE_NUMBER"]:
                    self.docs.set_stock(row[f"{R}ARTICLE_NUMBER"], reserved_delta=-row[f"{R}QUANTITY2"])
        elif abs(head[f"{H}BALANCE"] - head[f"{H}TOTAL_AMOUNT"]) > 0.001:
            raise AdkError(141, table=table.db, detail=str(number))
        else:
            values[f"{H}BALANCE"] = 0.0
        values[f"{H}DOCUMENT_CANCELLED"] = True
        self.store.update(table, {f"{H}DOCUMENT_NUMBER": number}, values)
        return self.store.find(table, {f"{H}DOCUMENT_NUMBER": number}) or {}

    def _deliver(self, head: dict, values: dict, rows: Sequence[Mapping[str, Any]]) -> dict:
        """Deliver an order: QUANTITY1 per row (default: all ordered), reservation → shipped.

        The order's whole reservation is released; what was not delivered moves to a backorder
        (a new order, which reserves it again) unless the order says DO_NOT_CREATE_BACKORDER.
        """
        number = int(head[f"{H}DOCUMENT_NUMBER"])
        if head[f"{H}ORDER_DELIVERED"]:
            raise AdkError(13, table=F.ORDER_HEAD.db, detail=str(number))
        delivered = {int(r[f"{R}ROWNUMBER"]): float(r.get(f"{R}QUANTITY1", 0.0)) for r in rows}
        remainder = []
        for row in self.docs.rows("ORDER", number):
            row_no = int(row[f"{R}ROWNUMBER"])
            quantity = delivered.get(row_no, row[f"{R}QUANTITY2"])
            self.store.update(
                F.ORDER_ROW,
                {f"{H}DOCUMENT_NUMBER": number, f"{R}ROWNUMBER": row_no},
                {f"{R}QUANTITY1": quantity},
            )
            if row[f"{R}ARTICLE_NUMBER"]:
                self.docs.set_stock(
                    row[f"{R}ARTICLE_NUMBER"], in_stock_delta=-quantity, reserved_delta=-row[f"{R}QUANTITY2"]
                )
                if row[f"{R}QUANTITY2"] - quantity > 0.001:
                    remainder.append(self._backorder_row(row, row[f"{R}QUANTITY2"] - quantity))
        values[f"{H}STOCK_SHIP_VER_DATE"] = today_long()
        self.store.update(F.ORDER_HEAD, {f"{H}DOCUMENT_NUMBER": number}, values)
        if remainder and self.docs.options.create_backorders and not head[f"{H}DO_NOT_CREATE_BACKORDER"]:
            self._backorder(head, remainder)
        return self.store.find(F.ORDER_HEAD, {f"{H}DOCUMENT_NUMBER": number}) or {}

    @staticmethod
    def _backorder_row(row: Mapping[str, Any], quantity: float) -> dict:
        kept = (
            "ARTICLE_NUMBER",
            "TEXT",
            "UNIT",
            "PRICE_EACH_CURRENT_CURRENCY",
            "DISCOUNT",
            "AMOUNT_DISCOUNT_FLAG",
            "VAT_CODE",
        )
        return {R + name: row[R + name] for name in kept} | {f"{R}QUANTITY2": round(quantity, 2)}

    def _backorder(self, order: Mapping[str, Any], rows: list[dict]) -> dict:
        # Freight and fees were charged on the first delivery [U]; the printed texts stay behind
        # (one of them may carry the first parcel's tracking number).
        skip = frozenset({f"{H}CARGO_AMOUNT", f"{H}DISPATCH_FEE"} | {f"{H}TEXT{i}" for i in (1, 2, 3)})
        head = copy_head(order, F.ORDER_HEAD, skip)
        origin = f"{H}DOCUMENT_CONNECTION_NUMBER{self.docs.options.backorder_slot}"
        head[origin] = order[f"{H}DOCUMENT_NUMBER"]
        return self.docs.add(F.ORDER_HEAD, head, rows)

    def add_payment(self, values: Mapping[str, Any]) -> dict:
        p = "ADK_CUSTOMERPAYMENT_"
        validate(F.CUSTOMERPAYMENT, values)
        invoice_no = int(values.get(f"{p}INVOICE_NUMBER") or 0)
        invoice = self.store.find(F.INVOICE_HEAD, {f"{H}DOCUMENT_NUMBER": invoice_no})
        if invoice is None:
            raise AdkError(115, field=f"{p}INVOICE_NUMBER", detail=str(invoice_no))
        if invoice[f"{H}DOCUMENT_CANCELLED"]:
            raise AdkError(9, field=f"{p}INVOICE_NUMBER", detail=str(invoice_no))
        record = dict(values)
        record[f"{p}NR"] = self.docs.next_number("sim_next_payment_no")
        record[f"{p}ROW_NUMBER"] = 1
        record.setdefault(f"{p}DATE", today_long())
        self.store.insert(F.CUSTOMERPAYMENT, record)
        paid = float(values.get(f"{p}AMOUNT_KR") or 0.0) + float(values.get(f"{p}ADJUSTMENT_KR") or 0.0)
        balance = round(invoice[f"{H}BALANCE"] - paid, 2)
        self.store.update(
            F.INVOICE_HEAD,
            {f"{H}DOCUMENT_NUMBER": invoice_no},
            {f"{H}BALANCE": balance, f"{H}LAST_PAYMENT": record[f"{p}DATE"]},
        )
        return self.store.find(F.CUSTOMERPAYMENT, {f"{p}NR": record[f"{p}NR"]}) or {}

    def add_manual(self, table: F.Table, values: Mapping[str, Any]) -> dict:
        """Manual delivery in/out (tables 29/30): the simulator's way to adjust stock."""
        prefix = table.key[0].removesuffix("_DOCUMENT_NUMBER")
        validate(table, values)
        article = values.get(f"{prefix}_ARTICLE_NUMBER", "")
        if self.store.find(F.ARTICLE, {"ADK_ARTICLE_NUMBER": article}) is None:
            raise AdkError(20, field=f"{prefix}_ARTICLE_NUMBER", detail=article)
        record = dict(values)
        record[f"{prefix}_DOCUMENT_NUMBER"] = self.docs.next_number("sim_next_manual_no")
        record.setdefault(f"{prefix}_DATE", today_long())
        self.store.insert(table, record)
        quantity = float(values.get(f"{prefix}_QUANTITY") or 0.0)
        sign = 1 if table is F.MANUAL_IN else -1
        self.docs.set_stock(article, in_stock_delta=sign * quantity)
        return (
            self.store.find(table, {f"{prefix}_DOCUMENT_NUMBER": record[f"{prefix}_DOCUMENT_NUMBER"]}) or {}
        )
