"""The simulator's side door (``/_sim/...``): play the merchant's part in Visma for tests and demos.

Mounted only with the simulated backend, and authenticated exactly like ``/v1`` (HMAC): a side door
that could deliver or pay orders must not be open to anyone who can reach the port. It is not part of
the ``/v1`` OpenAPI document. Every change goes through the company thread and the ADK-shaped backend
API, so it exercises the same rules as a real user's action in the program would.

    POST   /_sim/orders/{number}/deliver          {"tracking_number": "…", "rows": [{"row_number": 1,
                                                   "quantity": "1"}]}  (rows optional: all delivered)
    POST   /_sim/orders/{number}/invoice          {}  → the invoice (made from the order, §3.3)
    POST   /_sim/invoices/{number}/payments       {"amount": "100.00", "date": "2024-05-01"}
    POST   /_sim/documents/{kind}/{number}/cancel {}
    POST   /_sim/stock/{article}                  {"delta": "-3"}  (manual delivery in/out)
    PUT    /_sim/prices                           {"price_list": "1", "article_number": "A",
                                                   "quantity": "0", "price": "9.90"}
    POST   /_sim/articles                         {"items": [{"number": "A", "name": "...", "in_stock": "5"}]}
    GET    /_sim/counts                           rows per table (tests assert "nothing written")
    GET|POST|DELETE /_sim/faults    {"code": 486, "operation": "write", "remaining": 1, "delay": 0}
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent import fields as F
from connectors.visma.agent.api import Api, body_dict
from connectors.visma.agent.backends.simulated import SimulatedBackend
from connectors.visma.agent.backends.simulated.faults import Fault
from connectors.visma.agent.declare import route
from connectors.visma.agent.mapping import to_adk, to_date_long
from connectors.visma.agent.server import HttpError, Request, Response

H = "ADK_OOI_HEAD_"


def side_door(method: str, path: str, summary: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return route(method, path, summary, documented=False)


def _number(value: str) -> int:
    if not value.isdigit() or len(value) > 9:
        raise HttpError(404, "not_found", "no such document")
    return int(value)


class SideDoor:
    def __init__(self, api: Api, backend: SimulatedBackend) -> None:
        self.api = api
        self.backend = backend

    def _document(self, kind: str, number: int) -> Response:
        document = self.api.run(lambda: self.api.service.documents.get(kind, number))
        if document is None:
            raise HttpError(404, "not_found", "no such document")
        return Response(200, document.to_dict())

    @side_door("POST", "/_sim/orders/{number}/deliver", "Deliver an order (all rows, or the rows given)")
    def deliver(self, request: Request) -> Response:
        number, data = _number(request.params["number"]), body_dict(request)
        values: dict[str, Any] = {f"{H}ORDER_DELIVERED": True}
        if data.get("tracking_number"):
            values[self.api.service.config.tracking_field] = str(data["tracking_number"])
        rows = [
            {
                "ADK_OOI_ROW_ROWNUMBER": int(r["row_number"]),
                "ADK_OOI_ROW_QUANTITY1": float(P.parse_decimal(r["quantity"], "quantity")),
            }
            for r in data.get("rows") or []
        ]
        values = to_adk(F.ORDER_HEAD, values, [])
        self.api.run(
            lambda: self.backend.update("ADK_DB_ORDER_HEAD", {f"{H}DOCUMENT_NUMBER": number}, values, rows),
            write=True,
        )
        return self._document("order", number)

    @side_door("POST", "/_sim/orders/{number}/invoice", "Invoice an order")
    def invoice(self, request: Request) -> Response:
        number = _number(request.params["number"])
        # §3.3: an invoice head naming the order, with no rows, is filled from the order.
        link = f"{H}DOCUMENT_CONNECTION_NUMBER{self.api.service.config.invoice_order_slot}"
        head = self.api.run(lambda: self.backend.add("ADK_DB_INVOICE_HEAD", {link: number}), write=True)
        return self._document("invoice", int(head[f"{H}DOCUMENT_NUMBER"]))

    @side_door("POST", "/_sim/invoices/{number}/payments", "Pay an invoice")
    def payment(self, request: Request) -> Response:
        number, data = _number(request.params["number"]), body_dict(request)
        values = {
            "ADK_CUSTOMERPAYMENT_INVOICE_NUMBER": float(number),
            "ADK_CUSTOMERPAYMENT_AMOUNT_KR": float(P.parse_decimal(data.get("amount"), "amount")),
        }
        if data.get("date"):
            values["ADK_CUSTOMERPAYMENT_DATE"] = to_date_long(str(data["date"]), "ADK_CUSTOMERPAYMENT_DATE")
        self.api.run(lambda: self.backend.add("ADK_DB_CUSTOMERPAYMENT", values), write=True)
        return self._document("invoice", number)

    @side_door("POST", "/_sim/documents/{kind}/{number}/cancel", "Cancel a document")
    def cancel(self, request: Request) -> Response:
        kind, number = request.params["kind"], _number(request.params["number"])
        if kind not in F.HEAD_TABLES:
            raise HttpError(404, "not_found", "no such document kind")
        table = F.HEAD_TABLES[kind].db
        self.api.run(
            lambda: self.backend.update(
                table, {f"{H}DOCUMENT_NUMBER": number}, {f"{H}DOCUMENT_CANCELLED": True}
            ),
            write=True,
        )
        return self._document(kind, number)

    @side_door("POST", "/_sim/stock/{article}", "Deliver stock in or out by hand")
    def stock(self, request: Request) -> Response:
        article, data = request.params["article"], body_dict(request)
        delta = P.parse_decimal(data.get("delta"), "delta")
        table = "ADK_DB_MANUAL_DELIVERY_IN" if delta >= 0 else "ADK_DB_MANUAL_DELIVERY_OUT"
        prefix = table.replace("ADK_DB_", "ADK_")
        values = {f"{prefix}_ARTICLE_NUMBER": article, f"{prefix}_QUANTITY": float(abs(delta))}
        self.api.run(lambda: self.backend.add(table, values), write=True)
        article_record = self.api.run(lambda: self.api.service.catalog.get_article(article))
        return Response(200, article_record.to_dict() if article_record else None)

    @side_door("PUT", "/_sim/prices", "Set a price")
    def price(self, request: Request) -> Response:
        data = body_dict(request)
        values = to_adk(
            F.PRICE,
            {
                "ADK_PRICE_PRICE_LIST": str(data.get("price_list", "")),
                "ADK_PRICE_ARTICLE_NUMBER": str(data.get("article_number", "")),
                "ADK_PRICE_QUANTITY": P.parse_decimal(data.get("quantity", "0"), "quantity"),
                "ADK_PRICE_PRICE": P.parse_decimal(data.get("price"), "price"),
            },
            [],
        )
        self.api.run(lambda: self.backend.add("ADK_DB_PRICE", values), write=True)
        return Response(200, {"ok": True})

    @side_door("POST", "/_sim/articles", "Add articles")
    def articles(self, request: Request) -> Response:
        items = body_dict(request).get("items") or []
        records = []
        for item in items:
            values = {
                "ADK_ARTICLE_NUMBER": str(item["number"]),
                "ADK_ARTICLE_NAME": str(item.get("name", item["number"])),
                "ADK_ARTICLE_ACCOUNTING_CODE": str(item.get("accounting_code", "1")),
                "ADK_ARTICLE_STOCK_GOODS": bool(item.get("stock_goods", True)),
                "ADK_ARTICLE_WEBSHOP": bool(item.get("webshop", True)),
                "ADK_ARTICLE_QUANTITY_IN_STOCK": P.parse_decimal(item.get("in_stock", "0"), "in_stock"),
            }
            records.append(to_adk(F.ARTICLE, values, []))

        def add_all() -> int:
            for record in records:
                self.backend.add("ADK_DB_ARTICLE", record)
            return len(records)

        return Response(201, {"added": self.api.run(add_all, write=True)})

    @side_door("GET", "/_sim/counts", "Rows per table")
    def counts(self, request: Request) -> Response:
        def count() -> dict[str, int]:
            conn = self.backend.conn
            assert conn is not None
            tables = ("ooi_head", "ooi_row", "customer", "article", "price", "customerpayment")
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

        return Response(200, self.api.run(count))

    @side_door("GET", "/_sim/faults", "Active faults")
    def faults(self, request: Request) -> Response:
        return Response(200, {"items": self.backend.faults.active()})

    @side_door("POST", "/_sim/faults", "Inject a fault")
    def inject(self, request: Request) -> Response:
        data = body_dict(request)
        fault = Fault(
            code=int(data["code"]) if data.get("code") is not None else None,
            operation=str(data.get("operation", "any")),
            remaining=int(data["remaining"]) if data.get("remaining") is not None else None,
            delay=float(Decimal(str(data.get("delay", 0)))),
        )
        self.backend.faults.inject(fault)
        return Response(201, {"items": self.backend.faults.active()})

    @side_door("DELETE", "/_sim/faults", "Clear the faults")
    def clear(self, request: Request) -> Response:
        self.backend.faults.clear()
        return Response(200, {"items": []})
