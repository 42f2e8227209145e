"""The ``/v1`` ledger endpoints (reconciliation), served next to the agent's own ``Api``."""

from __future__ import annotations

from connectors.visma import ledger as L
from connectors.visma import protocol as P
from connectors.visma.agent.api import Api, request_hash
from connectors.visma.agent.declare import creates_once, cursor, limit, route
from connectors.visma.agent.ledger import LedgerDesk
from connectors.visma.agent.server import Request, Response
from connectors.visma.signing import IDEMPOTENCY_HEADER


class LedgerApi:
    def __init__(self, api: Api) -> None:
        self.api = api

    def desk(self) -> LedgerDesk:
        # Built per call: the company (and the agent's state) opens lazily on the worker thread.
        service = self.api.service
        assert service.state is not None  # opened with the company, before any request runs
        return LedgerDesk(service.backend, service.state, service.config.ledger_writes)

    @route(
        "GET",
        "/v1/ledger/capabilities",
        "Whether the backend writes customer payments and vouchers",
        answer=L.LedgerCapabilities,
    )
    def capabilities(self, request: Request) -> L.LedgerCapabilities:
        return self.api.run(lambda: self.desk().capabilities())

    @route(
        "POST",
        "/v1/ledger/invoice-lookup",
        f"Invoices (paid or open, credit invoices too) by customer order number or number; "
        f"at most {L.MAX_LOOKUP} of each",
        body=L.InvoiceLookup,
        answer=L.InvoiceList,
    )
    def invoice_lookup(self, request: Request) -> L.InvoiceList:
        lookup: L.InvoiceLookup = request.record
        if len(lookup.references) > L.MAX_LOOKUP or len(lookup.numbers) > L.MAX_LOOKUP:
            raise P.ProtocolError(f"at most {L.MAX_LOOKUP} references and {L.MAX_LOOKUP} numbers")
        if any(len(r) > 100 for r in lookup.references):
            raise P.ProtocolError("references: at most 100 characters each")
        return self.api.run(lambda: self.desk().invoices(lookup))

    @route(
        "GET",
        "/v1/ledger/open-invoices",
        "Open invoices (credit invoices too) in number order, heads only, paged",
        answer=L.InvoicePage,
        params=(cursor("next_after"), limit(2000, L.MAX_PAGE)),
    )
    def open_invoices(self, request: Request) -> L.InvoicePage:
        after, page_size = request.args["after"], request.args["limit"]
        return self.api.run(lambda: self.desk().open_invoices(after, page_size))

    @creates_once(
        "/v1/ledger/customer-payments",
        "Register a customer payment on an invoice, once per Idempotency-Key",
        L.PaymentInput,
        L.Payment,
    )
    def add_payment(self, request: Request) -> Response:
        key, data = request.args[IDEMPOTENCY_HEADER], request.record
        payment, created = self.api.run(
            lambda: self.desk().add_payment(data, key, request_hash(data)), write=True
        )
        return Response(201 if created else 200, payment)

    @creates_once(
        "/v1/ledger/vouchers", "Add a balanced voucher, once per Idempotency-Key", L.VoucherInput, L.Voucher
    )
    def add_voucher(self, request: Request) -> Response:
        key, data = request.args[IDEMPOTENCY_HEADER], request.record
        if len(data.rows) > 10_000:
            raise P.ProtocolError("rows: at most 10000")
        voucher, created = self.api.run(
            lambda: self.desk().add_voucher(data, key, request_hash(data)), write=True
        )
        return Response(201 if created else 200, voucher)
