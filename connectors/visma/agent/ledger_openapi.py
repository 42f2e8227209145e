"""The ledger endpoints' part of the OpenAPI document (merged in by ``openapi_document``)."""

from __future__ import annotations

from typing import Any

from connectors.visma import ledger as L
from connectors.visma.protocol import Record


def add_ledger(
    paths: dict[str, Any], schemas: dict[str, Any], *, op, json, ref, record_schema, idem, query
) -> None:
    for obj in vars(L).values():
        if isinstance(obj, type) and issubclass(obj, Record) and obj is not Record:
            schemas[obj.__name__] = record_schema(obj)
    paths["/v1/ledger/capabilities"] = {
        "get": op(
            "Whether the backend writes customer payments and vouchers", json(ref("LedgerCapabilities"))
        )
    }
    paths["/v1/ledger/invoice-lookup"] = {
        "post": op(
            f"Invoices (paid or open, credit invoices too) by customer order number or number; "
            f"at most {L.MAX_LOOKUP} of each",
            json(ref("InvoiceList")),
            body="InvoiceLookup",
        )
    }
    paths["/v1/ledger/open-invoices"] = {
        "get": op(
            "Open invoices (credit invoices too) in number order, heads only, paged",
            json(ref("InvoicePage")),
            params=[
                query("after", "next_after", {"type": "integer", "minimum": 0}),
                query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": L.MAX_PAGE}),
            ],
        )
    }
    paths["/v1/ledger/customer-payments"] = {
        "post": op(
            "Register a customer payment on an invoice, once per Idempotency-Key",
            json(ref("Payment"), "Created"),
            params=[idem],
            body="PaymentInput",
            status="201",
        )
    }
    paths["/v1/ledger/vouchers"] = {
        "post": op(
            "Add a balanced voucher, once per Idempotency-Key",
            json(ref("Voucher"), "Created"),
            params=[idem],
            body="VoucherInput",
            status="201",
        )
    }
