"""The ``/v1`` endpoints. Each handler parses, hands the work to the company thread, and answers."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent.openapi import openapi_document
from connectors.visma.agent.server import HttpError, Request, Response, Router
from connectors.visma.agent.service import AgentService
from connectors.visma.agent.worker import CompanyWorker
from connectors.visma.signing import IDEMPOTENCY_HEADER

T = TypeVar("T")
log = logging.getLogger("connectors.visma.agent.api")
MAX_PAGE = 10_000


class Api:
    def __init__(self, service: AgentService, worker: CompanyWorker, *, timeout: float = 60.0) -> None:
        self.service = service
        self.worker = worker
        self.timeout = timeout

    def run(self, fn: Callable[[], T], *, write: bool = False) -> T:
        return self.worker.call(fn, write=write, timeout=self.timeout)

    def read(self, via_odbc: Callable[[Any], T], via_backend: Callable[[], T]) -> T:
        """A bulk read over the ODBC path when it is on, else (or if it fails) on the company thread.

        ODBC reads bypass the company thread, so they never wait behind writes.
        """
        odbc = self.service.odbc
        if odbc is not None:
            try:
                return via_odbc(odbc)
            except Exception as exc:  # the DSN went away after start-up: the ADK can still answer
                log.warning(
                    "ODBC read failed, answered by the backend instead (%s: %s)", type(exc).__name__, exc
                )
        return self.run(via_backend)

    def register(self, router: Router) -> None:
        routes: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("GET", "/v1/health", self.health),
            ("GET", "/v1/openapi.json", self.openapi),
            ("GET", "/v1/identity", self.identity),
            ("GET", "/v1/articles", self.list_articles),
            ("GET", "/v1/articles/{number}", self.get_article),
            ("PUT", "/v1/articles/{number}", self.put_article),
            ("GET", "/v1/stock", self.stock),
            ("GET", "/v1/price-lists", self.price_lists),
            ("GET", "/v1/price-lists/{code}/prices", self.prices),
            ("GET", "/v1/customer-price", self.customer_price),
            ("GET", "/v1/vat-codes", self.vat_codes),
            ("GET", "/v1/customers", self.find_customers),
            ("POST", "/v1/customers", self.create_customer),
            ("POST", "/v1/documents", self.create_document),
            ("GET", "/v1/documents", self.find_documents),
            ("GET", "/v1/documents/{kind}/{number}", self.get_document),
            ("GET", "/v1/document-status", self.document_status),
            ("GET", "/v1/document-events", self.document_events),
            ("GET", "/v1/open-invoices", self.open_invoices),
        ]
        for method, path, handler in routes:
            router.add(method, path, handler)

    # --- identity ---------------------------------------------------------------------------------

    def health(self, request: Request) -> Response:
        # Liveness only: unauthenticated, so it must not reveal anything about the company.
        return Response(200, P.Health().to_dict())

    def openapi(self, request: Request) -> Response:
        return Response(200, openapi_document())

    def identity(self, request: Request) -> Response:
        worker = self.worker
        identity = self.run(lambda: self.service.identity(worker.depth, worker.last_successful_write))
        return Response(200, identity.to_dict())

    # --- articles, stock, prices -------------------------------------------------------------------

    def list_articles(self, request: Request) -> Response:
        cursor, limit = request.arg("cursor"), request.int_arg("limit", 500, low=1, high=MAX_PAGE)
        page = self.run(lambda: self.service.catalog.articles_changed(cursor, limit))
        return Response(200, page.to_dict())

    def get_article(self, request: Request) -> Response:
        number = request.params["number"]
        article = self.run(lambda: self.service.catalog.get_article(number))
        if article is None:
            raise HttpError(404, "not_found", "no such article")
        return Response(200, article.to_dict())

    def put_article(self, request: Request) -> Response:
        number, data = request.params["number"], P.ArticleInput.from_dict(request.json())
        bounds.check_article(number, data)
        article = self.run(lambda: self.service.catalog.put_article(number, data), write=True)
        return Response(200, article.to_dict())

    def stock(self, request: Request) -> Response:
        after, limit = request.arg("after"), request.int_arg("limit", 1000, low=1, high=MAX_PAGE)
        webshop_only = request.arg("webshop_only", "false") == "true"
        page = self.read(
            lambda odbc: odbc.stock(after, limit, webshop_only),
            lambda: self.service.catalog.stock(after, limit, webshop_only),
        )
        return Response(200, page.to_dict())

    def price_lists(self, request: Request) -> Response:
        lists = self.run(self.service.catalog.price_lists)
        return Response(200, {"items": [p.to_dict() for p in lists]})

    def prices(self, request: Request) -> Response:
        code, after = request.params["code"], request.arg("after")
        limit = request.int_arg("limit", 1000, low=1, high=MAX_PAGE)
        page = self.run(lambda: self.service.catalog.prices(code, after, limit))
        return Response(200, page.to_dict())

    def customer_price(self, request: Request) -> Response:
        customer, article = request.arg("customer") or "", request.arg("article") or ""
        if not customer or not article:
            raise P.ProtocolError("customer and article are required")
        quantity = P.parse_decimal(request.arg("quantity", "1"), "quantity")
        if problems := list(bounds.QUANTITY.problems("quantity", quantity)):
            raise bounds.OutOfBounds(problems)
        price = self.run(lambda: self.service.catalog.customer_price(customer, article, quantity))
        return Response(200, price.to_dict())

    def vat_codes(self, request: Request) -> Response:
        rates = self.run(self.service.backend.vat_rates)
        items = [
            P.VatCode(code=code, rate=P.parse_decimal(str(rate), "rate")) for code, rate in rates.items()
        ]
        return Response(200, {"items": [item.to_dict() for item in sorted(items, key=lambda i: i.code)]})

    # --- customers --------------------------------------------------------------------------------

    def find_customers(self, request: Request) -> Response:
        number, email, org = (request.arg(k) or "" for k in ("number", "email", "org_number"))
        if not (number or email or org):
            raise P.ProtocolError("give number, email or org_number")
        found = self.run(
            lambda: self.service.catalog.find_customers(number=number, email=email, org_number=org)
        )
        return Response(200, {"items": [c.to_dict() for c in found]})

    def create_customer(self, request: Request) -> Response:
        data = P.CustomerInput.from_dict(request.json())
        bounds.check_customer(data)
        customer = self.run(lambda: self.service.catalog.create_customer(data), write=True)
        return Response(201, customer.to_dict())

    # --- documents --------------------------------------------------------------------------------

    def create_document(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > 200 or not (key.isascii() and key.isprintable()):
            raise P.ProtocolError(f"{IDEMPOTENCY_HEADER}: required, 1-200 printable ASCII characters")
        data = P.DocumentInput.from_dict(request.json())
        bounds.check_document(data)
        request_hash = hashlib.sha256(json.dumps(data.to_dict(), sort_keys=True).encode()).hexdigest()
        document, created = self.run(
            lambda: self.service.documents.create(data, key, request_hash), write=True
        )
        return Response(201 if created else 200, document.to_dict())

    def find_documents(self, request: Request) -> Response:
        reference = request.arg("reference") or ""
        if not reference:
            raise P.ProtocolError("reference is required")
        found = self.run(lambda: self.service.documents.by_reference(reference))
        return Response(200, {"items": [d.to_dict() for d in found]})

    def document_status(self, request: Request) -> Response:
        reference = request.arg("reference") or ""
        if not reference:
            raise P.ProtocolError("reference is required")
        found = self.read(
            lambda odbc: odbc.document_status(reference), lambda: self.service.documents.status(reference)
        )
        return Response(200, found.to_dict())

    def get_document(self, request: Request) -> Response:
        kind, number = request.params["kind"], request.params["number"]
        if kind not in P.DOCUMENT_KINDS or not re.fullmatch(r"[0-9]{1,9}", number):
            raise HttpError(404, "not_found", "no such document")
        document = self.run(lambda: self.service.documents.get(kind, int(number)))
        if document is None:
            raise HttpError(404, "not_found", "no such document")
        return Response(200, document.to_dict())

    def document_events(self, request: Request) -> Response:
        after = request.int_arg("after", 0, high=10**9 - 1)
        limit = request.int_arg("limit", 500, low=1, high=MAX_PAGE)
        page = self.run(lambda: self.service.events.page(after, limit), write=False)
        return Response(200, page.to_dict())

    def open_invoices(self, request: Request) -> Response:
        customer = request.arg("customer") or None
        after = request.int_arg("after", 0, high=10**9 - 1)
        limit = request.int_arg("limit", 500, low=1, high=MAX_PAGE)
        page = self.run(lambda: self.service.documents.open_invoices(customer, after, limit))
        return Response(200, page.to_dict())


def body_dict(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise P.ProtocolError("expected a JSON object")
    return data
