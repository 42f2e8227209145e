"""The ``/v1`` ledger endpoints (reconciliation), registered next to the agent's own ``Api``."""

from __future__ import annotations

import hashlib
import json

from connectors.visma import ledger as L
from connectors.visma import protocol as P
from connectors.visma.agent.api import Api
from connectors.visma.agent.ledger import LedgerDesk
from connectors.visma.agent.server import Request, Response, Router
from connectors.visma.signing import IDEMPOTENCY_HEADER


class LedgerApi:
    def __init__(self, api: Api) -> None:
        self.api = api

    def desk(self) -> LedgerDesk:
        # Built per call: the company (and the agent's state) opens lazily on the worker thread.
        service = self.api.service
        return LedgerDesk(service.backend, service.state, service.config.ledger_writes)

    def register(self, router: Router) -> None:
        router.add("GET", "/v1/ledger/capabilities", self.capabilities)
        router.add("POST", "/v1/ledger/invoice-lookup", self.invoice_lookup)
        router.add("GET", "/v1/ledger/open-invoices", self.open_invoices)
        router.add("POST", "/v1/ledger/customer-payments", self.add_payment)
        router.add("POST", "/v1/ledger/vouchers", self.add_voucher)

    def capabilities(self, request: Request) -> Response:
        return Response(200, self.api.run(lambda: self.desk().capabilities()).to_dict())

    def invoice_lookup(self, request: Request) -> Response:
        lookup = L.InvoiceLookup.from_dict(request.json())
        if len(lookup.references) > L.MAX_LOOKUP or len(lookup.numbers) > L.MAX_LOOKUP:
            raise P.ProtocolError(f"at most {L.MAX_LOOKUP} references and {L.MAX_LOOKUP} numbers")
        if any(len(r) > 100 for r in lookup.references):
            raise P.ProtocolError("references: at most 100 characters each")
        found = self.api.run(lambda: self.desk().invoices(lookup))
        return Response(200, found.to_dict())

    def open_invoices(self, request: Request) -> Response:
        after = request.int_arg("after", 0, high=10**9 - 1)
        limit = request.int_arg("limit", 2000, low=1, high=L.MAX_PAGE)
        page = self.api.run(lambda: self.desk().open_invoices(after, limit))
        return Response(200, page.to_dict())

    @staticmethod
    def _key(request: Request) -> str:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > 200 or not (key.isascii() and key.isprintable()):
            raise P.ProtocolError(f"{IDEMPOTENCY_HEADER}: required, 1-200 printable ASCII characters")
        return key

    @staticmethod
    def _hash(record: P.Record) -> str:
        return hashlib.sha256(json.dumps(record.to_dict(), sort_keys=True).encode()).hexdigest()

    def add_payment(self, request: Request) -> Response:
        key, data = self._key(request), L.PaymentInput.from_dict(request.json())
        payment, created = self.api.run(
            lambda: self.desk().add_payment(data, key, self._hash(data)), write=True
        )
        return Response(201 if created else 200, payment.to_dict())

    def add_voucher(self, request: Request) -> Response:
        key, data = self._key(request), L.VoucherInput.from_dict(request.json())
        if len(data.rows) > 10_000:
            raise P.ProtocolError("rows: at most 10000")
        voucher, created = self.api.run(
            lambda: self.desk().add_voucher(data, key, self._hash(data)), write=True
        )
        return Response(201 if created else 200, voucher.to_dict())
